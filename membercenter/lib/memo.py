"""`{% memo %}`: a template fragment that is the same for everyone, rendered once per process.

    {% load memo %}
    {% memo "account-menu" %}…links and labels…{% endmemo %}
    {% memo "topnav" staff=user.is_staff %}…{% endmemo %}

The shared layout (the account menu's links and labels, the header's and footer's fixed
parts) is the same on every page for every member who reads the site in the same language,
yet Django renders it again on every request: a `{% url %}` and a `{% translate %}` per line.
A memo renders it once and keeps the HTML in this process, keyed on:

- the fragment's name,
- the active language and the script prefix (the links' and labels' inputs),
- the values named in the tag (`staff=user.is_staff`): the only variables the fragment can see.

The fragment is rendered in a context of its own holding **only** those named values, like
`{% include … with … only %}`: it cannot read the member, the request or the CSRF token
(a `{% csrf_token %}` inside renders nothing), so nothing about one member can be kept and
shown to another unless it is named, and then it is part of the key. Per-request parts
(names, CSRF tokens, the current address) belong outside the memo.

The store is a plain dict per process (no cache server, no pickling): a handful of entries
(fragments × languages × named values), capped at `MEMO_MAX` and emptied when a setting
changes (tests override settings and URLconfs).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

MEMO_MAX = 512
_store: dict[tuple[Any, ...], SafeString] = {}


def memo_clear(**kwargs: Any) -> None:
    """Forget every fragment (a setting changed: brand, URLconf, languages…)."""
    _store.clear()


setting_changed.connect(memo_clear, dispatch_uid="membercenter.lib.memo.clear")


class MemoNode(template.Node):
    def __init__(self, name: str, values: dict[str, FilterExpression], nodelist: NodeList) -> None:
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def render(self, context: Context) -> SafeString:
        values = {name: expr.resolve(context) for name, expr in self.values.items()}
        key = (self.name, get_language(), get_script_prefix(), *sorted(values.items()))
        html = _store.get(key)
        if html is None:
            # A context with the named values only (as `{% include … only %}`): same engine, autoescape
            # and render state, none of the page's variables (no user, request, csrf_token, messages).
            html = mark_safe(self.nodelist.render(context.new(values)))  # noqa: S308 — escaped by the engine
            if len(_store) >= MEMO_MAX:
                _store.clear()
            _store[key] = html
        return html


@register.tag("memo")
def do_memo(parser: Parser, token: Token) -> MemoNode:
    """{% memo "name" [key=value …] %}…{% endmemo %}"""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% memo %} takes a quoted name first: {% memo "name" key=value … %}')
    name = bits[1][1:-1]
    values: dict[str, FilterExpression] = {}
    for bit in bits[2:]:
        key, sep, expr = bit.partition("=")
        if not sep or not key.isidentifier():
            raise template.TemplateSyntaxError(f"{{% memo %}}: {bit!r} is not key=value")
        values[key] = parser.compile_filter(expr)
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(name, values, nodelist)
