"""Text analysis for the lexical rankers: German word forms, umlaut and ß variants, compounds, typos.

Two views of a text, each robust to something the other misses:

- character n-grams of the folded text (`fold`): typos, umlaut spellings (`Foerderung` = `Förderung`) and
  compounds all share most of their n-grams with the correct form, without knowing any word;
- word stems (Snowball German, which also maps `ae`/`oe`/`ue` and `ß`) plus the known parts of compounds:
  `Fördermittelberatung` also yields `forder` and `berat` when the directory uses those words elsewhere.

The compound splitter is deliberately generic: it knows no word list of its own, only the vocabulary of the
index it serves (every stem of the directory's texts), so it needs no maintenance and works for any region.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

_german = snowballstemmer.stemmer("german")
_english = snowballstemmer.stemmer("english")

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_URL_OR_MAIL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\S+@\S+\.\w+")
_PHONE = re.compile(r"\+?\d[\d /()-]{6,}\d")
_SPACE = re.compile(r"\s+")
_DIGRAPH = re.compile(r"(?<!q)(?:ae|oe|ue)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_STRIP_UMLAUT = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})

# Parts of compounds shorter than this are not looked up: `Zug` or `Tür` would match too much by chance.
MIN_PART = 4

# Function words of German and English (after the Snowball projects' stop lists): they say nothing about a
# need. Generic, not chosen from any inquiry.
_STOPWORD_TEXT = """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
    andern anders auch auf aus bei beim bin bis bist bitte da dabei damit dann das dass dasselbe dazu dein
    deine deinem deinen deiner dem demselben den denn denselben der derer derselbe derselben des desselben
    dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch eben ein
    eine einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer
    eure eurem euren eurer eures für fur gegen gewesen gibt gibts hab habe haben hat hatte hatten hier hin
    hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist ja jede jedem jeden jeder
    jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines können konnen könnte
    konnte machen macht man manche manchem manchen mancher manches mein meine meinem meinen meiner meines
    mich mir mit möchte mochte möchten muss musste müssen nach nicht nichts noch nun nur ob oder ohne sehr
    sein seine seinem seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches
    soll sollen sollte sollten sondern sonst über uber um und uns unser unsere unserem unseren unserer unseres
    unter viel vom von vor wann war waren warum was weg weil weiter welche welchem welchen welcher welches
    wenn wer werde werden wie wieder will wir wird wirst wo wollen wollte würde wurde würden wurden zu zum
    zur zwar zwischen ca bzw usw etc ggf evtl z b hallo guten tag grüße grusse gruss viele dank danke
    freundlichen sehr geehrte geehrter damen herren
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves hello hi thanks regards dear
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def fold(text: str) -> str:
    """Lower case with umlauts and ß spelled out, so `Außenwirtschaft` and `aussenwirtschaft` are one."""
    return unicodedata.normalize("NFC", text).casefold().translate(_FOLD)


def _canonical(word: str) -> str:
    """One spelling for lookups: `förder`, `foerder` and `forder` are the same key."""
    return _DIGRAPH.sub(lambda match: match.group(0)[0], word.translate(_STRIP_UMLAUT))


def clean_query(text: str) -> str:
    """Drop what never helps to route and only costs encoder time: links, addresses, phone numbers, spaces."""
    text = _URL_OR_MAIL.sub(" ", unicodedata.normalize("NFC", text))
    text = _PHONE.sub(" ", text)
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACE.sub(" ", text)).strip()


def words(text: str) -> list[str]:
    """Lower-cased words without function words; hyphenated words also give their parts."""
    result = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text).casefold()):
        pieces = [word, *word.split("-")] if "-" in word else [word]
        result += [piece for piece in pieces if len(piece) > 1 and piece not in STOPWORDS]
    return result


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball German stem (which also folds umlauts and ß); cached, as words recur across texts."""
    return _german.stemWord(word)


@lru_cache(maxsize=200_000)
def english_stem(word: str) -> str:
    """For English inquiries: `exports` still meets `Export` when the directory has the English stem."""
    return _english.stemWord(word)


class Analyzer:
    """Stems of a text plus the known parts of its compounds, for a word-level TF-IDF.

    `vocabulary` holds the stems (and umlaut-free spellings) that count as known words; it comes from the
    index that uses the analyzer, so compounds are split exactly where it helps to match that index.
    """

    def __init__(self, vocabulary: dict[str, str] | None = None) -> None:
        self.vocabulary = vocabulary or {}
        self._cache: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def vocabulary_of_words(distinct: Iterable[str]) -> dict[str, str]:
        """The known words for splitting: stems (to themselves) and umlaut-free spellings (to their stem)."""
        known: dict[str, str] = {}
        for word in distinct:
            if len(word) >= MIN_PART:
                stemmed = stem(word)
                known[_canonical(stemmed)] = stemmed
                known.setdefault(_canonical(word), stemmed)
        return known

    @classmethod
    def vocabulary_of(cls, texts: Iterable[str]) -> dict[str, str]:
        return cls.vocabulary_of_words({word for text in texts for word in words(text)})

    def _known(self, piece: str) -> str | None:
        """The token (stem) of a piece that is a word of the index, as spelt or as stem; else None."""
        token = self.vocabulary.get(_canonical(piece))
        if token is None:
            stemmed = stem(piece)
            token = self.vocabulary.get(_canonical(stemmed)) if len(stemmed) >= MIN_PART else None
        return token

    def parts(self, word: str) -> tuple[str, ...]:
        """The longest known head (last part) and the longest known modifier (first part) of a compound."""
        found: list[str] = []
        if len(word) < 2 * MIN_PART:
            return ()
        for start in range(MIN_PART, len(word) - MIN_PART + 1):
            if head := self._known(word[start:]):
                found.append(head)
                break
        for end in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            if modifier := self._known(word[:end]):
                found.append(modifier)
                break
        return tuple(found)

    def analyze_word(self, word: str) -> tuple[str, ...]:
        cached = self._cache.get(word)
        if cached is None:
            stemmed = stem(word)
            tokens = [stemmed, *(part for part in self.parts(word) if part != stemmed)]
            english = english_stem(word)
            if english != stemmed and self.vocabulary.get(_canonical(english)) == english:
                tokens.append(english)
            cached = self._cache[word] = tuple(tokens)
        return cached

    def __call__(self, text: str) -> list[str]:
        tokens: list[str] = []
        for word in words(text):
            if len(word) >= 3:
                tokens += self.analyze_word(word)
        return tokens


def sentences(text: str, *, max_chars: int = 400) -> list[str]:
    """Split a description into sentences (long ones cut at a comma or space), for one passage each."""
    result = []
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9„\"])", text.strip()):
        sentence = sentence.strip()
        while len(sentence) > max_chars:
            cut = sentence.rfind(", ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 2 else sentence.rfind(" ", 0, max_chars)
            if cut <= 0:
                cut = max_chars
            result.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            result.append(sentence)
    return result
