"""The shared template macros, rendered on their own."""

from __future__ import annotations

from web.pages import templates


def test_next_page_links_to_the_address_its_caller_writes():
    template = templates.env.from_string(
        '{% call next_page("Next", "More vacancies") %}'
        "/recruitment/vacancies?cursor={{ cursor | urlencode }}{% if status %}&amp;status={{ status }}{% endif %}"
        "{% endcall %}"
    )
    html = template.render(cursor="a b/<c>", status="open")
    assert 'href="/recruitment/vacancies?cursor=a%20b/%3Cc%3E&amp;status=open"' in html
    assert '<span class="nhsuk-pagination__title">Next</span>' in html
    assert '<span class="nhsuk-pagination__page">More vacancies</span>' in html
    assert 'aria-label="Pagination"' in html


def test_next_page_escapes_what_the_caller_interpolates():
    template = templates.env.from_string('{% call next_page("Older", "Earlier activity") %}/x?u={{ u }}{% endcall %}')
    assert 'href="/x?u=&#34;&gt;&lt;script&gt;"' in template.render(u='"><script>')
