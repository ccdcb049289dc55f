"""Survey scoring: percent positive, means, the engagement score, and the significance of a change.

Hand-worked examples fix the arithmetic; properties hold for any answers; statsmodels'
proportions_ztest and scipy's ttest_ind_from_stats / ttest_ind are the oracles (test-only) for the
two tests, to 1e-9.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from monitoring_api.surveys.scoring import (
    ADVOCACY,
    AGREEMENT,
    ENGAGEMENT,
    ENGAGEMENT_QUESTIONS,
    FREQUENCY,
    INVOLVEMENT,
    MOTIVATION,
    PROPORTION_TEST,
    WELCH_TEST,
    Question,
    ScoreSummary,
    Theme,
    mean_change,
    mean_score,
    percent_positive,
    proportion_change,
    question_result,
    respondent_score,
    theme_scores,
    two_proportion_z_test,
    welch_t_test,
)

RECOMMEND = ENGAGEMENT_QUESTIONS["engagement.recommend_work"]
DISCRIMINATION = Question(  # negatively worded: agreeing is the bad answer
    "discrimination",
    "I have experienced discrimination at work in the last 12 months.",
    AGREEMENT,
    positive=frozenset({"disagree", "strongly_disagree"}),
    reverse=True,
)


# ------------------------------------------------------------------------------------ hand-worked


def test_percent_positive_mean_and_n_of_a_question():
    # 10 answers: 1 strongly disagree (0), 1 disagree (2.5), 2 neither (5), 4 agree (7.5), 2 strongly agree (10)
    counts = {"strongly_disagree": 1, "disagree": 1, "neither": 2, "agree": 4, "strongly_agree": 2}
    result = question_result(RECOMMEND, counts)
    assert (result.n, result.positive) == (10, 6)
    assert result.percent_positive == 60.0 == percent_positive(RECOMMEND, counts)
    assert result.mean == 6.25 == mean_score(RECOMMEND, counts)  # (0 + 2.5 + 10 + 30 + 20) / 10
    # sample variance: (sum of squares 0 + 6.25 + 2 x 25 + 4 x 56.25 + 2 x 100 = 481.25, less 62.5^2 / 10) / 9
    assert result.summary.variance == pytest.approx(90.625 / 9, abs=1e-12)


def test_which_answers_are_positive_belongs_to_the_question():
    counts = {"strongly_disagree": 5, "disagree": 3, "agree": 2}
    assert percent_positive(DISCRIMINATION, counts) == 80.0
    assert mean_score(DISCRIMINATION, counts) == (5 * 10 + 3 * 7.5 + 2 * 2.5) / 10  # scored from the other end
    assert percent_positive(RECOMMEND, counts) == 20.0


def test_frequency_questions_score_like_agreement_ones():
    look_forward = ENGAGEMENT_QUESTIONS["engagement.look_forward"]
    assert look_forward.scale is FREQUENCY
    assert look_forward.option_scores == {"never": 0, "rarely": 2.5, "sometimes": 5, "often": 7.5, "always": 10}
    assert look_forward.positive_options == {"often", "always"}
    assert AGREEMENT.scores == FREQUENCY.scores == (0.0, 2.5, 5.0, 7.5, 10.0)


def test_nobody_answering_gives_no_figure_and_unknown_answers_are_refused():
    result = question_result(RECOMMEND, {})
    assert (result.n, result.percent_positive, result.mean) == (0, None, None)
    with pytest.raises(ValueError, match="not an option"):
        question_result(RECOMMEND, {"yes": 3})
    with pytest.raises(ValueError, match="negative"):
        question_result(RECOMMEND, {"agree": -1})


def test_the_engagement_score_by_respondent_with_missing_answers():
    r1 = {  # every item answered
        "engagement.look_forward": "always",  # 10
        "engagement.enthusiastic": "often",  # 7.5
        "engagement.time_passes_quickly": "sometimes",  # 5     -> motivation 7.5
        "engagement.show_initiative": "agree",  # 7.5
        "engagement.suggest_improvements": "agree",  # 7.5
        "engagement.make_improvements": "neither",  # 5        -> involvement 20/3
        "engagement.care_top_priority": "strongly_agree",
        "engagement.recommend_work": "strongly_agree",
        "engagement.recommend_treatment": "strongly_agree",  # -> advocacy 10
    }
    r2 = {  # motivation from one item, involvement not answered, advocacy from two
        "engagement.look_forward": "never",  # motivation 0
        "engagement.care_top_priority": "disagree",
        "engagement.recommend_work": "agree",  # advocacy (2.5 + 7.5) / 2 = 5
        "engagement.recommend_treatment": None,
    }
    r3: dict[str, str | None] = {}  # nothing answered: no score at all
    s1 = respondent_score(r1).scores
    assert s1["motivation"] == 7.5 and s1["advocacy"] == 10
    assert s1["involvement"] == pytest.approx(20 / 3, abs=1e-12)
    assert s1["engagement"] == pytest.approx(72.5 / 9, abs=1e-12)  # (7.5 + 20/3 + 10) / 3
    assert respondent_score(r2).scores == {"motivation": 0.0, "involvement": None, "advocacy": 5.0, "engagement": 2.5}
    assert set(respondent_score(r3).scores.values()) == {None}

    group = theme_scores([r1, r2, r3])
    assert {k: v.n for k, v in group.items()} == {"engagement": 2, "motivation": 2, "involvement": 1, "advocacy": 2}
    assert group["motivation"].mean == 3.75 and group["advocacy"].mean == 7.5
    assert group["engagement"].mean == pytest.approx(95 / 18, abs=1e-12)  # (72.5/9 + 2.5) / 2
    # per respondent, then averaged: not the mean of the group's sub-scores (which would be 5.97...)
    assert group["engagement"].mean != pytest.approx((3.75 + 20 / 3 + 7.5) / 3)


def test_a_theme_can_require_more_answers():
    strict = Theme("advocacy_strict", ADVOCACY.questions, min_answered=2)
    assert respondent_score({"engagement.recommend_work": "agree"}, strict).scores["advocacy_strict"] is None
    two = {"engagement.recommend_work": "agree", "engagement.care_top_priority": "agree"}
    assert respondent_score(two, strict).scores["advocacy_strict"] == 7.5
    with pytest.raises(ValueError):
        Theme("empty")


def test_the_engagement_instrument_is_nine_questions_in_three_sub_scores():
    assert [p.id for p in ENGAGEMENT.parts] == ["motivation", "involvement", "advocacy"]
    assert [len(p.questions) for p in (MOTIVATION, INVOLVEMENT, ADVOCACY)] == [3, 3, 3]
    assert len(ENGAGEMENT_QUESTIONS) == 9


def test_hand_worked_z_test():
    # 30/50 positive, then 45/60: pooled 75/110; z = 0.15 / sqrt(75/110 * 35/110 * (1/50 + 1/60))
    test = two_proportion_z_test(30, 50, 45, 60)
    pooled = 75 / 110
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 60))
    assert test.test == PROPORTION_TEST
    assert test.statistic == pytest.approx(z, rel=1e-12) and test.statistic == pytest.approx(1.68184, abs=1e-5)
    assert test.p_value == pytest.approx(0.092601, abs=1e-6) and not test.significant
    before = question_result(RECOMMEND, {"agree": 30, "disagree": 20})
    after = question_result(RECOMMEND, {"agree": 45, "disagree": 15})
    change = proportion_change(before, after)
    assert change.change == pytest.approx(15.0) and change.p_value == test.p_value  # percentage points


def test_hand_worked_welch_test():
    # means 6.1 (sd 2, n 40) then 6.9 (sd 1.5, n 55)
    test = welch_t_test(6.1, 2.0, 40, 6.9, 1.5, 55)
    se2 = 4 / 40 + 2.25 / 55
    assert test.test == WELCH_TEST
    assert test.statistic == pytest.approx(0.8 / math.sqrt(se2), rel=1e-12)
    assert test.df == pytest.approx(se2**2 / ((4 / 40) ** 2 / 39 + (2.25 / 55) ** 2 / 54), rel=1e-12)
    assert test.p_value == pytest.approx(0.036635, abs=1e-6) and test.significant


def test_degenerate_tests():
    everyone = two_proportion_z_test(20, 20, 35, 35)
    assert (everyone.statistic, everyone.p_value, everyone.significant) == (0.0, 1.0, False)
    same = welch_t_test(7.5, 0.0, 10, 7.5, 0.0, 12)
    assert (same.statistic, same.p_value) == (0.0, 1.0)
    moved = welch_t_test(7.5, 0.0, 10, 5.0, 0.0, 12)
    assert moved.statistic == -math.inf and moved.p_value == 0.0 and moved.significant
    with pytest.raises(ValueError):
        welch_t_test(1.0, 1.0, 1, 2.0, 1.0, 5)
    with pytest.raises(ValueError):
        two_proportion_z_test(3, 2, 1, 5)
    with pytest.raises(ValueError):
        mean_change(ScoreSummary.from_scores([5.0]), ScoreSummary.from_scores([5.0, 7.5]))


# ------------------------------------------------------------------------------------- properties

answers = st.sampled_from(AGREEMENT.options)
option_counts = st.dictionaries(answers, st.integers(0, 10_000))


@given(option_counts)
def test_figures_stay_in_range_and_agree_with_the_answers_one_by_one(counts):
    result = question_result(RECOMMEND, counts)
    assert result.n == sum(counts.values())
    if result.n == 0:
        assert result.percent_positive is None and result.mean is None
        return
    assert 0 <= result.percent_positive <= 100 and 0 <= result.mean <= 10
    one_by_one = [RECOMMEND.score(o) for o, k in counts.items() for _ in range(k)]
    assert result.mean == pytest.approx(float(np.mean(one_by_one)), abs=1e-9)
    positives = sum(k for o, k in counts.items() if o in ("agree", "strongly_agree"))
    assert result.percent_positive == pytest.approx(100 * positives / result.n, abs=1e-12)


@given(
    st.lists(st.lists(st.sampled_from([0.0, 2.5, 5.0, 7.5, 10.0, 20 / 3, 25 / 3]), max_size=30), min_size=1, max_size=5)
)
def test_summaries_add_up_the_tree(groups):
    """A parent's summary is the sum of its children's: results roll up without the answers."""
    children = [ScoreSummary.from_scores(g) for g in groups]
    rolled = sum(children, ScoreSummary())
    whole = ScoreSummary.from_scores([s for g in groups for s in g])
    assert rolled.n == whole.n
    assert rolled.total == pytest.approx(whole.total, abs=1e-9)
    assert rolled.total_squares == pytest.approx(whole.total_squares, abs=1e-6)
    histogram: dict[float, int] = {}
    for s in (s for g in groups for s in g):
        histogram[s] = histogram.get(s, 0) + 1
    assert ScoreSummary.from_histogram(histogram).total == pytest.approx(whole.total, abs=1e-9)
    if whole.n >= 2:
        flat = [s for g in groups for s in g]
        assert whole.sd == pytest.approx(float(np.std(flat, ddof=1)), abs=1e-9)


respondents = st.lists(
    st.fixed_dictionaries(
        {},
        optional={q.id: st.sampled_from((*q.scale.options, None)) for q in ENGAGEMENT_QUESTIONS.values()},
    ),
    max_size=25,
)


@given(respondents)
def test_engagement_follows_the_per_respondent_method(rows):
    scores = theme_scores(rows)
    for row in rows:
        per = respondent_score(row).scores
        for part in ENGAGEMENT.parts:
            answered = [q.score(row[q.id]) for q in part.questions if row.get(q.id) is not None]
            assert per[part.id] == (None if not answered else pytest.approx(sum(answered) / len(answered)))
            if answered:
                assert min(answered) - 1e-12 <= per[part.id] <= max(answered) + 1e-12
        subs = [per[p.id] for p in ENGAGEMENT.parts if per[p.id] is not None]
        assert per["engagement"] == (None if not subs else pytest.approx(sum(subs) / len(subs)))
    engaged = [s for r in rows if (s := respondent_score(r).scores["engagement"]) is not None]
    assert scores["engagement"].n == len(engaged)
    if engaged:
        assert scores["engagement"].mean == pytest.approx(sum(engaged) / len(engaged), abs=1e-9)
        assert 0 <= scores["engagement"].mean <= 10
    # the order of respondents does not matter
    again = theme_scores(list(reversed(rows)))
    assert {k: (v.n, round(v.total, 9)) for k, v in again.items()} == {
        k: (v.n, round(v.total, 9)) for k, v in scores.items()
    }


# ------------------------------------------------------------------------------- against the oracles


@settings(max_examples=300)
@given(
    st.integers(1, 1_000_000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.integers(1, 1_000_000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
)
def test_z_test_matches_statsmodels(before, after):
    (n1, x1), (n2, x2) = before, after
    ours = two_proportion_z_test(x1, n1, x2, n2)
    pooled = Fraction(x1 + x2, n1 + n2)
    if pooled in (0, 1):
        assert (ours.statistic, ours.p_value) == (0.0, 1.0)
        return
    z, p = proportions_ztest([x2, x1], [n2, n1])
    assert ours.statistic == pytest.approx(z, rel=1e-9, abs=1e-9)
    assert abs(ours.p_value - p) < 1e-9
    assert ours.change == pytest.approx(x2 / n2 - x1 / n1, abs=1e-15)


@settings(max_examples=300)
@given(
    st.floats(0, 10),
    st.floats(0.01, 5),
    st.integers(2, 1_000_000),
    st.floats(0, 10),
    st.floats(0.01, 5),
    st.integers(2, 1_000_000),
)
def test_welch_test_matches_scipy_from_summary_statistics(m1, s1, n1, m2, s2, n2):
    ours = welch_t_test(m1, s1, n1, m2, s2, n2)
    reference = stats.ttest_ind_from_stats(m2, s2, n2, m1, s1, n1, equal_var=False)
    assert ours.statistic == pytest.approx(reference.statistic, rel=1e-9, abs=1e-9)
    assert abs(ours.p_value - reference.pvalue) < 1e-9
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    assert ours.df == pytest.approx((v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1)), rel=1e-12)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
@settings(max_examples=150)
@given(
    st.lists(st.sampled_from([0.0, 2.5, 5.0, 7.5, 10.0]), min_size=2, max_size=400),
    st.lists(st.sampled_from([0.0, 2.5, 5.0, 7.5, 10.0]), min_size=2, max_size=400),
)
def test_mean_change_from_summaries_matches_scipy_on_the_answers(before, after):
    a, b = ScoreSummary.from_scores(before), ScoreSummary.from_scores(after)
    if a.variance == 0 and b.variance == 0:
        return  # scipy answers nan; the degenerate case is tested above
    ours = mean_change(a, b)
    reference = stats.ttest_ind(after, before, equal_var=False)
    assert ours.statistic == pytest.approx(reference.statistic, rel=1e-9, abs=1e-9)
    assert abs(ours.p_value - reference.pvalue) < 1e-9
    assert ours.df == pytest.approx(reference.df, rel=1e-9)


@pytest.mark.parametrize("df", [1, 1.5, 2, 3.7, 10, 29.3, 100, 1234.5, 1e4, 5e4, 2e5, 1e6])
@pytest.mark.parametrize("t", [0.0, 1e-6, 0.01, 0.5, 1.0, 1.96, 2.5, 4.0, 8.0, 20.0, 100.0])
def test_student_t_tail_matches_scipy_over_a_wide_range(df, t):
    from monitoring_api.surveys.scoring import _t_two_sided

    assert abs(_t_two_sided(t, df) - 2 * stats.t.sf(t, df)) < 1e-9
