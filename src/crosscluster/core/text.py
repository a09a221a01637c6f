"""The one text analysis of the platform: the search, the routing engine, the duplicate finder and the
directory's filters all read text through this module, so they agree on what a word is.

- **Normalisation** (`fold`): Unicode NFC, case folded, umlauts and ß spelled out (`Außenwirtschaft` and
  `aussenwirtschaft` are one), other accents removed.
- **Words** (`words`, `surface_words`): runs of letters (and digits where they count), function words
  dropped (`STOPWORDS`, German and English after the Snowball projects' lists; generic, chosen from no
  query). Hyphenated words also give their parts (`PV-Anlage` → `pv`, `anlage`).
- **Stems** (`stem`, `english_stem`): Snowball German, which also folds `ae`/`oe`/`ue` and `ß`, so
  `Foerderung`, `Förderung` and `förderungen` meet; Snowball English for English words.
- **Search terms** (`search_terms`, `term`): what the search index stores and looks up: the German stem of a
  word, with any remaining accent removed, at least `MIN_TERM_LENGTH` letters (numbers as written).
- **Compounds**: the parts of a compound the way its reader finds them. `heads` lists the possible back
  parts of a stored term (`fordermittelberat` → … `berat`), so that `Beratung` finds `Fördermittelberatung`;
  `Analyzer.parts` splits a word into the longest head and modifier that are words of a given vocabulary
  (`Wasserstoffspeicher` → `wasserstoff`, `speich`). Neither needs a word list of its own.
- **Typos** (`max_typos`, `closest`): how many edits a word may have and the nearest candidates by optimal
  string alignment distance (rapidfuzz).
- **Requests** (`REQUEST_WORDS`, `looks_like_need`): the words that make a text a request rather than a
  subject ("wir suchen", "we need").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

_german = snowballstemmer.stemmer("german")
_english = snowballstemmer.stemmer("english")

# Words of letters (with hyphenated parts), and words of letters and digits.
_LETTERS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_ALNUM = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_URL_OR_MAIL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\S+@\S+\.\w+")
_PHONE = re.compile(r"\+?\d[\d /()-]{6,}\d")
_SPACE = re.compile(r"\s+")
_DIGRAPH = re.compile(r"(?<!q)(?:ae|oe|ue)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_STRIP_UMLAUT = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})

# Parts of compounds shorter than this are not looked up: `Zug` or `Tür` would match too much by chance.
MIN_PART = 4
# The back part of a compound that `heads` offers: at least this long, after a front part of `MIN_PART`.
MIN_HEAD = 5
# Shorter stems are not searched for (`KI` is found through topic synonyms, which match whole words).
MIN_TERM_LENGTH = 3
# Longer "words" are codes, hashes or pasted data, not words: not indexed (and never split into parts).
MAX_WORD_LENGTH = 64
# Compounds are split into their possible back parts up to this length (German ones rarely reach it).
MAX_COMPOUND_LENGTH = 40

# Function words of German and English (after the Snowball projects' stop lists): they say nothing about a
# need or a subject. Generic, not chosen from any query.
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

# Words that make a request a request but say nothing about its subject (the search drops them; the
# routing engine's encoder reads the whole sentence).
REQUEST_WORDS = frozenset(
    [
        *("suchen", "suche", "sucht", "brauchen", "brauche", "braucht", "benötigen", "benötige", "benötigt"),
        *("benoetigen", "hilfe", "helfen", "unterstützung"),
        *("need", "needs", "looking", "look", "help", "want", "like"),
    ]
)
# Phrases that make a text read like a need rather than a few keywords (German and English).
_NEED = re.compile(
    r"\b(wir suchen|ich suche|suchen wir|brauchen|brauche|benötigen|benötige|benoetigen|hilfe bei|"
    r"unterstützung bei|unterstützung für|wer kann|wer hilft|können sie|kann uns|wie können|wie kann|"
    r"we need|i need|we are looking|looking for|help with|need help|support with|who can|how can)\b"
)
NEED_MIN_WORDS = 3
SENTENCE_MIN_WORDS = 7


def fold(text: str) -> str:
    """Lower case with umlauts and ß spelled out and other accents removed: one spelling for comparisons."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    if text.isascii():  # nothing to decompose: most words, once the umlauts are spelled out
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


FOLDED_STOPWORDS = frozenset(fold(word) for word in STOPWORDS)


def _canonical(word: str) -> str:
    """One spelling for lookups: `förder`, `foerder` and `forder` are the same key."""
    return _DIGRAPH.sub(lambda match: match.group(0)[0], word.translate(_STRIP_UMLAUT))


def clean_query(text: str) -> str:
    """Drop what never helps to route and only costs encoder time: links, addresses, phone numbers, spaces."""
    text = _URL_OR_MAIL.sub(" ", unicodedata.normalize("NFC", text))
    text = _PHONE.sub(" ", text)
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACE.sub(" ", text)).strip()


def words(text: str, *, digits: bool = False) -> list[str]:
    """Lower-cased words without function words; a hyphenated word also gives its parts.

    Letters only by default (the routing engine's words); with `digits`, numbers and words with digits too.
    """
    pattern = _ALNUM if digits else _LETTERS
    result = []
    for word in pattern.findall(unicodedata.normalize("NFC", text).casefold()):
        pieces = [word, *word.split("-")] if "-" in word else [word]
        result += [piece for piece in pieces if len(piece) > 1 and piece not in STOPWORDS]
    return result


def folded_words(text: str) -> list[str]:
    """The folded words of a text, numbers included, without function words (duplicates' titles, places)."""
    return [word for word in re.findall(r"[^\W_]+", fold(text)) if word not in FOLDED_STOPWORDS]


def surface_words(text: str) -> list[str]:
    """The words of a text as written (letters and digits, hyphenated ones split), function words included:
    the spellings a query or a document shows."""
    return [piece for word in _ALNUM.findall(unicodedata.normalize("NFC", text)) for piece in word.split("-")]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball German stem (which also folds umlauts and ß); cached, as words recur across texts."""
    return _german.stemWord(word)


@lru_cache(maxsize=200_000)
def english_stem(word: str) -> str:
    """For English words: `exports` still meets `Export` when the directory has the English stem."""
    return _english.stemWord(word)


# --- Search terms -------------------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The search term of one word as written: its German stem without accents; numbers as they are.

    '' for function words and stems shorter than `MIN_TERM_LENGTH` (they are not searched for).
    """
    folded = unicodedata.normalize("NFC", word).casefold()
    if not folded or folded in STOPWORDS or len(folded) > MAX_WORD_LENGTH:
        return ""
    if folded.isdigit():
        return folded
    stemmed = stem(folded)
    if not stemmed.isascii():
        stemmed = "".join(c for c in unicodedata.normalize("NFKD", stemmed) if not unicodedata.combining(c))
    stemmed = "".join(c for c in stemmed if c.isalnum())
    return stemmed if len(stemmed) >= MIN_TERM_LENGTH else ""


def search_terms(text: str) -> list[tuple[str, str]]:
    """(term, word as written) for every searchable word of a text, in order.

    A hyphenated word gives its parts and the parts written together (`KI-Sprechstunde`: `ki` is too short,
    `sprechstund`, `kisprechstund`), so both spellings of a compound meet.
    """
    result = []
    for word in _ALNUM.findall(unicodedata.normalize("NFC", text)):
        pieces = word.split("-")
        if len(pieces) > 1:
            pieces.append("".join(pieces))
        for piece in pieces:
            found = term(piece)
            if found:
                result.append((found, piece))
    return result


def terms(text: str) -> list[str]:
    """The search terms of a text, in order (see `search_terms`)."""
    return [found for found, _word in search_terms(text)]


@lru_cache(maxsize=200_000)
def heads(stored: str) -> tuple[str, ...]:
    """The possible back parts of a compound term, longest first: every ending of at least `MIN_HEAD`
    letters after a front part of at least `MIN_PART` (`fordermittelberat` → `ermittelberat`, …, `berat`).

    Stored with a document, they let a word find the compounds it ends (`Beratung` finds
    `Fördermittelberatung`) without a dictionary; a match here counts less than the word itself.
    """
    if stored.isdigit() or len(stored) > MAX_COMPOUND_LENGTH:
        return ()
    return tuple(stored[start:] for start in range(MIN_PART, len(stored) - MIN_HEAD + 1))


# --- Compounds from a vocabulary -------------------------------------------------------------------------


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


def split_compound(stored: str, known: Iterable[str]) -> tuple[str, str] | None:
    """The longest known modifier and head that make up a compound term, both from `known` (e.g. the terms
    of the search index), or None: `wasserstoffspeich` → (`wasserstoff`, `speich`)."""
    known = set(known)
    for end in range(len(stored) - MIN_PART, MIN_PART - 1, -1):
        modifier = stored[:end]
        if modifier not in known:
            continue
        rest = stored[end:]
        # A linking s (Fugen-s) between the parts: `arbeitsschutz` = `arbeit` + `schutz`.
        for head in (rest, rest[1:] if rest.startswith("s") else ""):
            if len(head) >= MIN_PART and head in known:
                return modifier, head
    return None


def compound_candidates(stored: str) -> set[str]:
    """Every front and back part of a term that `split_compound` may look up."""
    found = set()
    for end in range(MIN_PART, len(stored) - MIN_PART + 1):
        found.add(stored[:end])
        rest = stored[end:]
        found.add(rest)
        if rest.startswith("s"):
            found.add(rest[1:])
    return found


# --- Typos -----------------------------------------------------------------------------------------------


def max_typos(word: str) -> int:
    """Edits allowed for a term: none for short ones (too many neighbours), one from 5 letters, two from 9."""
    if len(word) < 5 or word.isdigit():
        return 0
    return 1 if len(word) < 9 else 2


def closest(word: str, candidates: Sequence[str]) -> tuple[list[str], int]:
    """The candidates nearest to `word` within `max_typos` edits (optimal string alignment) and their
    distance; ([], 0) when none is near enough."""
    limit = max_typos(word)
    if not limit or not candidates:
        return [], 0
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if not found:
        return [], 0
    best = min(distance for _candidate, distance, _i in found)
    return [candidate for candidate, distance, _i in found if distance == best], int(best)


# --- Requests -------------------------------------------------------------------------------------------


def looks_like_need(text: str) -> bool:
    """A sentence or a request ("wir suchen Fördermittel für …", "we need help with …"), not keywords."""
    text = text.casefold()
    count = len(re.findall(r"[^\W_]+", text))
    if count >= SENTENCE_MIN_WORDS:
        return True
    return count >= NEED_MIN_WORDS and bool(_NEED.search(text))


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
