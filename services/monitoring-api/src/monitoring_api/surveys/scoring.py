"""Scoring of culture survey answers: percent positive, means, the NHS staff survey engagement score,
and the significance of a change between two waves.

Questions
    A question answers on a five-point scale whose options score 0, 2.5, 5, 7.5 and 10 (most
    negative first), as the NHS Staff Survey scores them; which options count as positive is a
    property of the question (by default the top two of its scale; a negatively worded question
    names its own, and may reverse its scores).

Per question
    ``n`` is the number who answered it (no answer is not an answer); percent positive is
    ``100 x positive / n``; the mean is the mean score 0-10 of those who answered.

Themes and the engagement score
    A theme's score for a respondent is the mean of the scores of the theme's questions that the
    respondent answered (none answered: no score); a theme made of sub-scores (engagement: motivation,
    involvement, advocacy, three questions each) scores each respondent as the mean of the
    respondent's sub-scores. The score of a group is the mean over its respondents who have a score.
    That is the NHS Staff Survey's method as the brief states it; its technical guide could not be
    retrieved here to confirm details such as a minimum number of answered questions
    (``min_answered`` allows one) or the weighting it applies when benchmarking trusts (not applied).

Designed for counts from the database
    Everything that reaches Python is additive: counts per answer option for a question, and for a
    theme the number of respondents with a score, the sum of their scores and the sum of squares
    (``ScoreSummary``), which SQL computes over a million answers (see SURVEYS.md). Summaries add up
    the organisation tree. Per-respondent rows are accepted too, for tests and small imports.

Significance of a change between two waves
    Percent positive: the two-proportion z-test with the pooled proportion, as statsmodels'
    ``proportions_ztest`` computes it. Means and theme scores: Welch's t-test from summary statistics
    (unequal variances, Welch-Satterthwaite degrees of freedom), as scipy's ``ttest_ind_from_stats``
    with ``equal_var=False``. Both two-sided, with the test named in the result. Pure Python; the
    Student t tail comes from the regularised incomplete beta function.

Plain functions on plain data; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "ADVOCACY",
    "AGREEMENT",
    "ENGAGEMENT",
    "ENGAGEMENT_QUESTIONS",
    "FREQUENCY",
    "INVOLVEMENT",
    "MOTIVATION",
    "PROPORTION_TEST",
    "WELCH_TEST",
    "ChangeTest",
    "Question",
    "QuestionResult",
    "RespondentScore",
    "Scale",
    "ScoreSummary",
    "Theme",
    "mean_change",
    "mean_score",
    "percent_positive",
    "proportion_change",
    "question_result",
    "respondent_score",
    "theme_scores",
    "two_proportion_z_test",
    "welch_t_test",
]

PROPORTION_TEST = "two-proportion z-test (pooled proportion, two-sided)"
WELCH_TEST = "Welch's t-test (unequal variances, two-sided)"
FIVE_POINT_SCORES = (0.0, 2.5, 5.0, 7.5, 10.0)


# ------------------------------------------------------------------------------------------ questions


@dataclass(frozen=True)
class Scale:
    """Response options, most negative first, with their scores 0-10 and the default positive ones."""

    id: str
    options: tuple[str, ...]
    scores: tuple[float, ...] = FIVE_POINT_SCORES
    positive: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if len(self.scores) != len(self.options) or len(set(self.options)) != len(self.options):
            raise ValueError(f"scale {self.id}: one score per distinct option")
        if not self.positive <= set(self.options):
            raise ValueError(f"scale {self.id}: positive options must be options")


AGREEMENT = Scale(
    "agreement",
    ("strongly_disagree", "disagree", "neither", "agree", "strongly_agree"),
    positive=frozenset({"agree", "strongly_agree"}),
)
FREQUENCY = Scale(
    "frequency",
    ("never", "rarely", "sometimes", "often", "always"),
    positive=frozenset({"often", "always"}),
)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    scale: Scale = AGREEMENT
    positive: frozenset[str] | None = None
    """Options that count as positive; None: the scale's."""
    reverse: bool = False
    """Score the options from the other end (a negatively worded question)."""

    def __post_init__(self) -> None:
        if self.positive is not None and not self.positive <= set(self.scale.options):
            raise ValueError(f"question {self.id}: positive options must be options of its scale")

    @property
    def positive_options(self) -> frozenset[str]:
        return self.scale.positive if self.positive is None else self.positive

    @property
    def option_scores(self) -> dict[str, float]:
        scores = self.scale.scores[::-1] if self.reverse else self.scale.scores
        return dict(zip(self.scale.options, scores, strict=True))

    def score(self, option: str) -> float:
        try:
            return self.option_scores[option]
        except KeyError:
            raise ValueError(f"question {self.id}: {option!r} is not an option of its scale") from None


@dataclass(frozen=True)
class QuestionResult:
    question: str
    n: int
    positive: int
    percent_positive: float | None
    mean: float | None
    """Mean score 0-10 of those who answered."""
    summary: ScoreSummary
    """n, sum and sum of squares of the answers' scores: for the test of a change in the mean."""


def _checked_counts(question: Question, counts: Mapping[str, int]) -> dict[str, int]:
    known = set(question.scale.options)
    for option, count in counts.items():
        if option not in known:
            raise ValueError(f"question {question.id}: {option!r} is not an option of its scale")
        if count < 0:
            raise ValueError(f"question {question.id}: negative count for {option!r}")
    return {o: int(counts.get(o, 0)) for o in question.scale.options}


def percent_positive(question: Question, counts: Mapping[str, int]) -> float | None:
    """100 x (answers in the question's positive options) / (answers); None when nobody answered."""
    c = _checked_counts(question, counts)
    n = sum(c.values())
    return None if n == 0 else 100.0 * sum(c[o] for o in question.positive_options) / n


def mean_score(question: Question, counts: Mapping[str, int]) -> float | None:
    """The mean score 0-10 of the answers; None when nobody answered."""
    return question_result(question, counts).mean


def question_result(question: Question, counts: Mapping[str, int]) -> QuestionResult:
    """Everything shown for one question in one cell, from its counts per answer option."""
    c = _checked_counts(question, counts)
    n = sum(c.values())
    positive = sum(c[o] for o in question.positive_options)
    summary = ScoreSummary.from_histogram({question.score(o): k for o, k in c.items()})
    return QuestionResult(
        question=question.id,
        n=n,
        positive=positive,
        percent_positive=None if n == 0 else 100.0 * positive / n,
        mean=summary.mean,
        summary=summary,
    )


# ----------------------------------------------------------------------------------- score summaries


@dataclass(frozen=True)
class ScoreSummary:
    """Additive summary of scores: how many, their sum and their sum of squares."""

    n: int = 0
    total: float = 0.0
    total_squares: float = 0.0

    @classmethod
    def from_scores(cls, scores: Iterable[float]) -> ScoreSummary:
        values = list(scores)
        return cls(len(values), math.fsum(values), math.fsum(v * v for v in values))

    @classmethod
    def from_histogram(cls, counts: Mapping[float, int]) -> ScoreSummary:
        """From the number of respondents per score value (what a SQL GROUP BY gives)."""
        return cls(
            sum(counts.values()),
            math.fsum(s * k for s, k in counts.items()),
            math.fsum(s * s * k for s, k in counts.items()),
        )

    def __add__(self, other: ScoreSummary) -> ScoreSummary:
        return ScoreSummary(self.n + other.n, self.total + other.total, self.total_squares + other.total_squares)

    @property
    def mean(self) -> float | None:
        return None if self.n == 0 else self.total / self.n

    @property
    def variance(self) -> float | None:
        """The sample variance (n - 1 in the denominator); None below two scores."""
        if self.n < 2:
            return None
        return max(0.0, (self.total_squares - self.total * self.total / self.n) / (self.n - 1))

    @property
    def sd(self) -> float | None:
        v = self.variance
        return None if v is None else math.sqrt(v)


# --------------------------------------------------------------------------------- themes, engagement


@dataclass(frozen=True)
class Theme:
    """A score over questions (the mean of those a respondent answered), or over sub-scores (the mean
    of a respondent's sub-scores)."""

    id: str
    questions: tuple[Question, ...] = ()
    parts: tuple[Theme, ...] = ()
    min_answered: int = 1
    """Fewest answered questions (or scored parts) for a respondent to have a score."""

    def __post_init__(self) -> None:
        if bool(self.questions) == bool(self.parts):
            raise ValueError(f"theme {self.id}: either questions or parts")
        if self.min_answered < 1:
            raise ValueError(f"theme {self.id}: min_answered must be at least 1")

    def walk(self) -> Iterable[Theme]:
        yield self
        for part in self.parts:
            yield from part.walk()


MOTIVATION = Theme(
    "motivation",
    (
        Question("engagement.look_forward", "I look forward to going to work.", FREQUENCY),
        Question("engagement.enthusiastic", "I am enthusiastic about my job.", FREQUENCY),
        Question("engagement.time_passes_quickly", "Time passes quickly when I am working.", FREQUENCY),
    ),
)
INVOLVEMENT = Theme(
    "involvement",
    (
        Question(
            "engagement.show_initiative", "There are frequent opportunities for me to show initiative in my role."
        ),
        Question(
            "engagement.suggest_improvements",
            "I am able to make suggestions to improve the work of my team / department.",
        ),
        Question("engagement.make_improvements", "I am able to make improvements happen in my area of work."),
    ),
)
ADVOCACY = Theme(
    "advocacy",
    (
        Question("engagement.care_top_priority", "Care of patients / service users is my organisation's top priority."),
        Question("engagement.recommend_work", "I would recommend my organisation as a place to work."),
        Question(
            "engagement.recommend_treatment",
            "If a friend or relative needed treatment I would be happy with the standard of care provided by"
            " this organisation.",
        ),
    ),
)
ENGAGEMENT = Theme("engagement", parts=(MOTIVATION, INVOLVEMENT, ADVOCACY))
ENGAGEMENT_QUESTIONS: dict[str, Question] = {q.id: q for part in ENGAGEMENT.parts for q in part.questions}


@dataclass(frozen=True)
class RespondentScore:
    scores: dict[str, float | None] = field(default_factory=dict)
    """Theme id (the theme and each of its parts) -> this respondent's score 0-10, or None."""


def respondent_score(answers: Mapping[str, str | None], theme: Theme = ENGAGEMENT) -> RespondentScore:
    """One respondent's scores for the theme and its parts; ``answers`` maps question id to option
    (missing or None: not answered)."""
    scores: dict[str, float | None] = {}

    def score(t: Theme) -> float | None:
        if t.questions:
            got = [q.score(a) for q in t.questions if (a := answers.get(q.id)) is not None]
        else:
            got = [s for p in t.parts if (s := score(p)) is not None]
        scores[t.id] = math.fsum(got) / len(got) if len(got) >= t.min_answered else None
        return scores[t.id]

    score(theme)
    return RespondentScore(scores)


def theme_scores(rows: Iterable[Mapping[str, str | None]], theme: Theme = ENGAGEMENT) -> dict[str, ScoreSummary]:
    """Per theme id (the theme and each part): the summary of the respondents' scores; its mean is the
    group's score."""
    per_theme: dict[str, list[float]] = {t.id: [] for t in theme.walk()}
    for row in rows:
        for tid, s in respondent_score(row, theme).scores.items():
            if s is not None:
                per_theme[tid].append(s)
    return {tid: ScoreSummary.from_scores(values) for tid, values in per_theme.items()}


# ------------------------------------------------------------------------------------- significance


@dataclass(frozen=True)
class ChangeTest:
    """The change between two waves (after - before) and its two-sided test."""

    test: str
    change: float
    statistic: float
    p_value: float
    df: float | None
    alpha: float

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha


def two_proportion_z_test(
    positive_before: int, n_before: int, positive_after: int, n_after: int, alpha: float = 0.05
) -> ChangeTest:
    """The change in a proportion (in proportion units) with the pooled two-proportion z-test.

    Same statistic and p-value as ``statsmodels.stats.proportion.proportions_ztest([after, before],
    [n_after, n_before])``. When every answer in both waves is positive, or none is, the pooled
    variance is 0 and there is no evidence of change: statistic 0, p-value 1 (statsmodels gives nan).
    """
    for x, n in ((positive_before, n_before), (positive_after, n_after)):
        if n < 1 or not 0 <= x <= n:
            raise ValueError("each wave needs at least one answer and 0 <= positive <= n")
    p1, p2 = positive_before / n_before, positive_after / n_after
    pooled = (positive_before + positive_after) / (n_before + n_after)
    variance = pooled * (1.0 - pooled) * (1.0 / n_before + 1.0 / n_after)
    if variance == 0.0:
        return ChangeTest(PROPORTION_TEST, p2 - p1, 0.0, 1.0, None, alpha)
    z = (p2 - p1) / math.sqrt(variance)
    return ChangeTest(PROPORTION_TEST, p2 - p1, z, math.erfc(abs(z) / math.sqrt(2.0)), None, alpha)


def proportion_change(before: QuestionResult, after: QuestionResult, alpha: float = 0.05) -> ChangeTest:
    """The change in percent positive of a question (in percentage points) and its z-test."""
    test = two_proportion_z_test(before.positive, before.n, after.positive, after.n, alpha)
    return ChangeTest(test.test, 100.0 * test.change, test.statistic, test.p_value, None, alpha)


def welch_t_test(
    mean_before: float,
    sd_before: float,
    n_before: int,
    mean_after: float,
    sd_after: float,
    n_after: int,
    alpha: float = 0.05,
) -> ChangeTest:
    """The change in a mean with Welch's t-test from summary statistics (sample SDs, n - 1).

    Same statistic, degrees of freedom and p-value as ``scipy.stats.ttest_ind_from_stats(after...,
    before..., equal_var=False)``. When both SDs are 0 the test degenerates: p-value 1 if the means
    are equal, else 0 (statistic +/-inf), with n_before + n_after - 2 degrees of freedom.
    """
    if n_before < 2 or n_after < 2:
        raise ValueError("Welch's t-test needs at least two scores in each wave")
    if sd_before < 0 or sd_after < 0:
        raise ValueError("standard deviations cannot be negative")
    v1, v2 = sd_before * sd_before / n_before, sd_after * sd_after / n_after
    change = mean_after - mean_before
    if v1 + v2 == 0.0:
        statistic = 0.0 if change == 0 else math.copysign(math.inf, change)
        return ChangeTest(WELCH_TEST, change, statistic, 1.0 if change == 0 else 0.0, n_before + n_after - 2.0, alpha)
    t = change / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n_before - 1) + v2 * v2 / (n_after - 1))
    return ChangeTest(WELCH_TEST, change, t, _t_two_sided(t, df), df, alpha)


def mean_change(before: ScoreSummary, after: ScoreSummary, alpha: float = 0.05) -> ChangeTest:
    """The change in a mean score (a question's mean, a theme's score) and its Welch test."""
    if before.n < 2 or after.n < 2:
        raise ValueError("Welch's t-test needs at least two scores in each wave")
    assert before.mean is not None and after.mean is not None and before.sd is not None and after.sd is not None
    return welch_t_test(before.mean, before.sd, before.n, after.mean, after.sd, after.n, alpha)


# ------------------------------------------------------------------------------ Student t, two-sided


def _t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom: I_x(df/2, 1/2), x = df/(df+t^2)."""
    if math.isinf(t):
        return 0.0
    t2 = t * t
    return _betainc_half(df / 2.0, df / (df + t2), t2 / (df + t2))


def _log_gamma_ratio_half(a: float) -> float:
    """log Gamma(a + 1/2) - log Gamma(a), without the cancellation of two large lgammas."""
    if a < 20.0:
        return math.lgamma(a + 0.5) - math.lgamma(a)

    def series(z: float) -> float:  # Stirling's correction terms
        return 1 / (12 * z) - 1 / (360 * z**3) + 1 / (1260 * z**5) - 1 / (1680 * z**7)

    return a * math.log1p(0.5 / a) + 0.5 * math.log(a) - 0.5 + series(a + 0.5) - series(a)


def _betainc_half(a: float, x: float, y: float) -> float:
    """The regularised incomplete beta I_x(a, 1/2), given x and y = 1 - x computed separately."""
    b = 0.5
    if y <= 0.0:
        return 1.0
    if x <= 0.0:
        return 0.0
    log_front = _log_gamma_ratio_half(a) - math.lgamma(b) + a * math.log1p(-y) + b * math.log(y)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1_000_000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")
