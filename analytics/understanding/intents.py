"""Intents by rules: weighted words and phrases matched as whole words, never substrings.

Each intent is a list of cues (a word, a phrase, a word stem ending in ``*``, or a
punctuation mark such as ``?``) with a weight in (0, 1]. A post's score for an intent is
``1 - prod(1 - w)`` over the distinct cues it contains (so one strong cue or several weak
ones reach the threshold), and the cues found are its explanation. "I planned a long ride
but the motor died" matches ``died`` (a complaint), not ``plan`` (a purchase cue): ``plan``
as a whole word is not in ``planned``.

The default set is a documented baseline (docs/understanding.md), evaluated on public data
in BENCHMARKS.md; a company replaces or extends it with :func:`rules_from_mapping` (from a
TOML/JSON mapping) or trains a model on its own labels (:mod:`.model`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "DEFAULT_INTENTS",
    "IntentRule",
    "IntentScores",
    "rules_from_mapping",
    "score_intents",
]


_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
_FOLD = str.maketrans({"\u2019": "'", "\ufe0f": None, "\u200d": None})


def _tokens(text: str) -> list[str]:
    """Lower-cased words (with inner apostrophes), and each other non-space character."""
    return _TOKEN.findall(text.lower().translate(_FOLD))


@dataclass(frozen=True)
class IntentRule:
    """One intent: its name, its cues with weights, and the score at which it is flagged.

    A cue is a word, a phrase (matched as a run of whole words), a single word ending in
    ``*`` (any word starting so), or a punctuation mark or emoji.
    """

    name: str
    cues: Mapping[str, float]
    threshold: float = 0.5
    _keys: dict[str, str] = field(init=False, repr=False, compare=False)
    _stems: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.cues:
            raise ValueError(f"intent {self.name!r} has no cues")
        keys: dict[str, str] = {}
        stems: dict[str, str] = {}
        for cue, weight in self.cues.items():
            if not 0 < weight <= 1:
                raise ValueError(f"intent {self.name!r}, cue {cue!r}: weight {weight} is "
                                 "not in (0, 1]")
            words = _tokens(cue.rstrip("*"))
            if not words:
                raise ValueError(f"intent {self.name!r}: an empty cue")
            if cue.endswith("*"):
                if len(words) != 1:
                    raise ValueError(f"intent {self.name!r}, cue {cue!r}: only a single "
                                     "word can end in '*'")
                stems[words[0]] = cue
            else:
                keys[" ".join(words)] = cue
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_stems", stems)

    def find(self, text: str) -> list[str]:
        """The cues in ``text`` (as written in the rule, each once, longest first)."""
        return _Matcher([self]).find(_tokens(text or ""))[0]


class _Matcher:
    """All rules' cues in one table, so a text is tokenised and looked up once.

    Longer phrases are looked up first and claim their words, so "cancel my
    subscription" is one cue, not also "cancel my".
    """

    def __init__(self, rules: Sequence[IntentRule]) -> None:
        self.n_rules = len(rules)
        self.table: dict[str, list[tuple[int, str]]] = {}
        self.stems: dict[str, list[tuple[int, str]]] = {}
        for j, rule in enumerate(rules):
            for key, cue in rule._keys.items():
                self.table.setdefault(key, []).append((j, cue))
            for stem, cue in rule._stems.items():
                self.stems.setdefault(stem, []).append((j, cue))
        self.longest = max((k.count(" ") + 1 for k in self.table), default=1)
        self.stem_lengths = sorted({len(s) for s in self.stems}, reverse=True)
        # the first words of the phrases of each length: a window starting with any
        # other word cannot be a cue, so it is never joined and looked up
        self.firsts: dict[int, frozenset[str]] = {}
        for key in self.table:
            words = key.split(" ")
            if len(words) > 1:
                self.firsts[len(words)] = self.firsts.get(len(words), frozenset()) | {words[0]}
        # every cue's first word: a text with none of them and no stem finds nothing
        self.starts = frozenset(key.split(" ")[0] for key in self.table)

    def may_find(self, words: AbstractSet[str]) -> bool:
        """False when :meth:`find` is sure to find nothing among these words (a text's
        set of tokens): none starts a cue, and none begins with a stem."""
        if not self.starts.isdisjoint(words):
            return True
        return bool(self.stems) and any(
            word[:length] in self.stems for word in words for length in self.stem_lengths
            if len(word) >= length)

    def find(self, tokens: list[str]) -> list[list[str]]:
        found: list[list[str]] = [[] for _ in range(self.n_rules)]
        table, n = self.table, len(tokens)
        covered = bytearray(n)
        for size in range(min(self.longest, n), 0, -1):
            firsts = self.firsts.get(size, frozenset())
            for i in range(n - size + 1):
                if size == 1:
                    if covered[i]:
                        continue
                    key = tokens[i]
                else:
                    if tokens[i] not in firsts or all(covered[i:i + size]):
                        continue
                    key = " ".join(tokens[i:i + size])
                hits = table.get(key)
                if hits is None:
                    continue
                covered[i:i + size] = b"\x01" * size
                for j, cue in hits:
                    if cue not in found[j]:
                        found[j].append(cue)
        if self.stems:
            for i, token in enumerate(tokens):
                if covered[i]:
                    continue
                for length in self.stem_lengths:
                    hits = self.stems.get(token[:length]) if len(token) >= length else None
                    if hits:
                        for j, cue in hits:
                            if cue not in found[j]:
                                found[j].append(cue)
                        break
        return found


@dataclass(frozen=True)
class IntentScores:
    """Scores in [0, 1] per intent (columns in rule order), flags, and the cues found."""

    names: list[str]
    scores: np.ndarray
    flags: np.ndarray
    evidence: list[dict[str, list[str]]]


def score_intents(texts: Sequence[str], rules: Sequence[IntentRule] = ()) -> IntentScores:
    """Score each text against each intent rule.

    Args:
        texts: Post texts.
        rules: The intents; ``DEFAULT_INTENTS`` when empty.

    Returns:
        :class:`IntentScores` with one row per text.

    Example:
        >>> s = score_intents(["I want to cancel my subscription", "love it"])
        >>> s.evidence[0]["churn"]
        ['cancel my subscription']
    """
    rules = list(rules) or list(DEFAULT_INTENTS)
    matcher = _Matcher(rules)
    weights = [rule.cues for rule in rules]
    scores = np.zeros((len(texts), len(rules)))
    evidence: list[dict[str, list[str]]] = [{} for _ in texts]
    for i, text in enumerate(texts):
        if not text:
            continue
        for j, cues in enumerate(matcher.find(_tokens(text))):
            if not cues:
                continue
            miss = 1.0
            for cue in cues:
                miss *= 1.0 - weights[j][cue]
            scores[i, j] = 1.0 - miss
            evidence[i][rules[j].name] = cues
    thresholds = np.array([r.threshold for r in rules])
    return IntentScores(names=[r.name for r in rules], scores=scores,
                        flags=scores >= thresholds, evidence=evidence)


def rules_from_mapping(mapping: Mapping[str, Mapping[str, object]]) -> list[IntentRule]:
    """Intent rules from ``{name: {"cues": {cue: weight} | [cue, ...], "threshold": t}}``.

    A list of cues gives each the weight 1 (any one flags the intent).

    Raises:
        ValueError: A rule is malformed; the message names the intent.
    """
    rules = []
    for name, spec in mapping.items():
        raw = spec.get("cues")
        cues: dict[str, float]
        if isinstance(raw, Mapping):
            cues = {str(k): float(v) for k, v in raw.items()}
        elif isinstance(raw, Iterable) and not isinstance(raw, str):
            cues = {str(k): 1.0 for k in raw}
        else:
            raise ValueError(f"intent {name!r}: 'cues' must be a list or a mapping of weights")
        threshold = spec.get("threshold", 0.5)
        if not isinstance(threshold, int | float):
            raise ValueError(f"intent {name!r}: 'threshold' must be a number")
        rules.append(IntentRule(name=str(name), cues=cues, threshold=float(threshold)))
    return rules


def _cues(strong: str, weak: str = "", medium: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for text, weight in ((weak, 0.3), (medium, 0.5), (strong, 0.8)):
        for cue in text.split(","):
            if cue.strip():
                out[" ".join(cue.split())] = weight
    return out


DEFAULT_INTENTS: tuple[IntentRule, ...] = (
    IntentRule("complaint", _cues(
        strong="not working, doesn't work, does not work, stopped working, won't work, "
               "broken, broke, died, crashed, crashes, keeps crashing, worst, terrible, "
               "awful, horrible, useless, unacceptable, ridiculous, disappointed, "
               "disappointing, disgusted, fed up, still waiting, been waiting, never arrived, "
               "hasn't arrived, not arrived, not received, never received, no response, "
               "no reply, still no, refund, overcharged, charged twice, scam, rip off, "
               "ripped off, poor service, bad service, customer service sucks, sucks, "
               "faulty, defective, damaged, delayed, cancelled my, lost my, wrong order, "
               "missing, complaint, complain*, frustrat*, annoy*, pathetic, shambles, "
               "joke, fix this, sort it out, unhappy, not happy, down again, outage",
        medium="slow, late, delay, error, bug, glitch, issue, problem, again, waiting, "
               "can't, cannot, unable, fail*, nobody, hours, days, still",
        weak="why, seriously, no one")),
    IntentRule("question", _cues(
        strong="?, how do i, how can i, how to, can you, could you, can i, is there, "
               "are there, does anyone, anyone know, any idea, what is, what's the, when will, "
               "where is, where can, why is, why does, why can't, which one, do you, "
               "is it possible, wondering",
        weak="how, what, when, where, which, who")),
    IntentRule("suggestion", _cues(
        strong="please add, would be nice, would be great, would love, it would be, "
               "should add, should have, should be able, should allow, should support, "
               "you should, feature request, suggestion, suggest, i wish, wish you, "
               "why not add, needs an option, need an option, add support, add an option, "
               "please allow, please make, please support, please consider, consider adding, "
               "allow us, let us, make it possible, it'd be nice, would be helpful, "
               "would be useful",
        medium="should, could you add, improve, improvement, option to, ability to, "
               "support for, instead of")),
    IntentRule("praise", _cues(
        strong="thank you, thanks, thx, love, loving, loved, awesome, amazing, excellent, "
               "fantastic, brilliant, great job, great service, well done, kudos, perfect, "
               "best, impressed, recommend, highly recommend, appreciate, wonderful, "
               "outstanding, superb, shout out, big up, 😍, ❤️, 👏, 🙌",
        medium="great, good, nice, happy, glad, helpful, quick, fast, cool")),
    IntentRule("purchase", _cues(
        strong="want to buy, looking to buy, going to buy, gonna buy, planning to buy, "
               "where can i buy, where to buy, how much is, how much does, how much for, "
               "price of, pricing, quote, in stock, pre-order, preorder, order one, "
               "take my money, shut up and take my money, sign me up, upgrade to, "
               "thinking of buying, thinking about buying, want one, need one, "
               "discount code, coupon, free trial, demo, plan, plans, subscribe",
        medium="buy, buying, purchase, price, cost, deal, offer, available")),
    IntentRule("churn", _cues(
        strong="cancel my, cancelling my, canceling my, cancel subscription, "
               "cancel my subscription, cancel my account, close my account, delete my account, "
               "unsubscribe, switching to, switch to, switched to, moving to, leaving, "
               "never again, never buying, never using, last time i, done with, "
               "goodbye, bye bye, taking my business, take my business elsewhere, "
               "going elsewhere, competitor, won't renew, not renewing, refund me, "
               "port my number, terminate my contract, end my contract",
        medium="cancel, cancelling, canceling, cancellation, quit, quitting")),
    IntentRule("security", _cues(
        strong="data breach, breach, leak, leaked, leaks, hacked, compromised, "
               "api key, secret key, private key, "
               "access token, confidential, internal only, not for distribution, "
               "proprietary, trade secret, source code, nda, under embargo, embargoed, "
               "doxx*, vulnerability, exploit, phishing, malware, ransomware, "
               "stolen data, personal data, credit card number, social security number",
        medium="unauthorized, unauthorised, insider, screenshot of",
        weak="password, passwords, credentials, hack, security, privacy")),
)
