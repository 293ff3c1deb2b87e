"""The full query syntax: Whoosh's query parser, configured for searchkit.

Only queries that use syntax (quotes, fields, operators, ``*``...) come here;
plain words are built directly by ``query.QueryBuilder``, which is why this
module, and Whoosh's parser with it, is imported only when needed.
"""

from __future__ import annotations

import copy
import re

from whoosh import qparser
from whoosh.qparser import syntax

from searchkit.analysis import follows_sentence_end, query_word_inside
from searchkit.query import FIELDS, FILTER_FIELDS, FORMS, QueryError

ALIASES = {"title": ["tytuł", "tytul"], "date": ["data"], "author": ["autor"], "type": ["typ"]}


class _StarPlugin(qparser.WildcardPlugin):
    # Only "*" is a wildcard: "?" ends questions ("Gdzie mieszkał Wacław?").
    qmarks = ""
    expr = "(?P<text>[*])"


class _FieldCheckPlugin(qparser.Plugin):
    """Unknown field names are errors, not silently searched-for text."""

    def __init__(self, known):
        self.known = set(known)

    def filters(self, parser):
        return [(self.check, 101)]

    def check(self, parser, group):
        for node in group:
            if isinstance(node, syntax.GroupNode):
                self.check(parser, node)
            name = getattr(node, "fieldname", None)
            if name is not None and name not in self.known:
                raise QueryError(f"unknown field {name!r} (fields: {', '.join(FIELDS)}); "
                                 "put the text in quotes to search for it")
        return group


class _FoldPlugin(qparser.Plugin):
    """Applies ``query.FoldExpander`` to the words and phrases of a query."""

    def __init__(self, expander):
        self.expander = expander

    def filters(self, parser):
        # After field names are assigned (100), before the multifield split (110).
        return [(self.expand, 105)]

    def expand(self, parser, group):
        if self.expander.off:
            return group
        out = group.empty_copy()
        for node in group:
            if isinstance(node, syntax.GroupNode):
                out.append(self.expand(parser, node))
            elif getattr(node, "fieldname", None) not in (None, "title", "author"):
                out.append(node)
            elif isinstance(node, syntax.WordNode):
                texts = self.expander.alternatives(node.text)
                nodes = [node if text == node.text else _word_like(node, text) for text in texts]
                if len(nodes) == 1:
                    out.append(nodes[0])
                elif nodes:
                    out.append(syntax.OrGroup(nodes))
            elif isinstance(node, qparser.PhrasePlugin.PhraseNode):
                node.text = re.sub(r"\w+", lambda m: self.expander.commonest(m.group()),
                                   node.text)
                out.append(node)
            else:
                out.append(node)
        return out


def _word_like(node, text):
    new = copy.copy(node)  # its field, boost, place, and whether it is _InsideWord
    new.text = text
    return new


class _InsideWord(syntax.WordNode):
    """A word after the query's first, as ``query.QueryBuilder.plain`` reads
    it: analysed inside ``query_word_inside``."""

    def query(self, parser):
        with query_word_inside():
            return super().query(parser)


class _InsidePlugin(qparser.Plugin):
    """Marks the words after the query's first (and not after a sentence's
    end in it) as ``_InsideWord``: before the fold's alternatives (105) and
    the fields' copies (110), which keep the mark.  Words in a field count
    (``title:Sąd``), phrases too; filters (``type:pdf``, dates) do not."""

    def filters(self, parser):
        return [(self.mark, 104)]

    def mark(self, parser, group, state=None):
        state = state if state is not None else {"inside": False}
        out = group.empty_copy()
        for node in group:
            if isinstance(node, syntax.GroupNode):
                node = self.mark(parser, node, state)
            elif (isinstance(node, syntax.TextNode)
                  and getattr(node, "fieldname", None) not in FILTER_FIELDS):
                if state["inside"] and type(node) is syntax.WordNode:
                    node = copy.copy(node)
                    node.__class__ = _InsideWord
                state["inside"] = not follows_sentence_end(node.text)
            out.append(node)
        return out


def make_parser(schema, expander, boosts: dict[str, float]):
    parser = qparser.MultifieldParser(list(boosts), schema, fieldboosts=boosts,
                                      group=qparser.OrGroup)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(_StarPlugin())
    parser.remove_plugin_class(qparser.FieldsPlugin)
    # Field names are letters only: "10:30" is a time, not the field "10".
    parser.add_plugin(qparser.FieldsPlugin(expr=r"(?P<text>[^\W\d_]\w*):", remove_unknown=False))
    parser.add_plugin(qparser.FieldAliasPlugin(ALIASES))
    # "-" and "+" are operators only at the start of a word: inside one they are
    # hyphens (Kasym-Żomart, KISS-ów, F-16), which Whoosh's default would read
    # as "Kasym AND NOT Żomart".  Nor are they operators standing alone: "mecz
    # Brazylia - Włochy" is a dash, and excluding Włochy would lose the match.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+(?=[^\s+])",
                                              minusexpr=r"(?<![^\s(])-(?=[^\s-])"))
    # The word forms' field is the query's own, not one to search in.
    parser.add_plugin(_FieldCheckPlugin(FIELDS + tuple(b for b in boosts if b != FORMS)))
    parser.add_plugin(_FoldPlugin(expander))
    parser.add_plugin(_InsidePlugin())
    return parser


def parse(parser, text: str):
    try:
        return parser.parse(text)
    except QueryError:
        raise
    except Exception as e:  # the parser's own errors are not meant for users
        raise QueryError(f"cannot parse the query ({e.__class__.__name__}: {e}); "
                         "check its quotes, brackets and operators") from None
