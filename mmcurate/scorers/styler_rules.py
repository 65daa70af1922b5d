"""Rule-based styler: the 9 mmSSR interaction styles of each Q/A turn from its wording.

Multi-label; a sample's styles are the union over its turns, de-duplicated, in taxonomy
order. The rules follow the labelling guide below, which is also the guide the hand
labels in ``tests/data/styles_labels.jsonl`` were written by (README, "Lite scoring").

- **multi-choice**: the question lists options to pick from (lines or inline items such as
  ``A. ...`` / ``(b) ...``, at least two, starting at A or 1) or says "options:" /
  "choose from".
- **coordinate**: the answer gives a location as numbers (a box ``[x1, y1, x2, y2]`` or a
  point ``(x, y)`` of decimals), or the question asks for a bounding box / coordinates.
- **yes/no**: the answer starts with yes or no (also 是/否/不是) and the question is not a
  request phrased as a question ("Can you write ...?").
- **comparison**: the question asks to compare or contrast: compare, difference(s), differ,
  similar(ity), the same, alike, versus, both, a comparative with "than", or a comparative
  picking among two ("which of the two is brighter", "who is the taller man").
- **chain-of-thought (step-by-step)**: the question asks for step-by-step reasoning, or the
  answer reasons in numbered steps ("Step 1: ...").
- **specified style**: the question fixes the output's form beyond its length: a data,
  markup or code format (JSON, CSV, table, HTML, Python, one item per line), an exact
  count (exactly N words, N items), a genre (poem, story, song, advertisement, letter,
  dialogue, template, ...), a language, a persona or tone, or a format to copy from
  examples ("using the same format"). Plain length requests ("briefly", "in detail", "in
  one sentence", "using a single word or phrase") are not.
- **length bands**: a turn with none of multi-choice, coordinate, yes/no, chain-of-thought
  or specified style gets exactly one of *word/short-phrase*, *short description*,
  *detailed description*. An explicit length request in the question decides ("single
  word or phrase" -> word/short-phrase; "in detail", "detailed" -> detailed description;
  "briefly", "short", "in one sentence", "a few sentences" -> short description); otherwise
  the answer's length does: up to :data:`PHRASE_MAX_WORDS` words is a word/short phrase, up
  to :data:`SHORT_MAX_WORDS` a short description, longer a detailed description (CJK text
  counts :data:`CJK_CHARS_PER_WORD` characters as one word).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mmcurate.sample import Sample, strip_placeholders
from mmcurate.taxonomy import STYLES

MULTI_CHOICE, COORDINATE, YES_NO, PHRASE, SHORT, DETAILED, COMPARISON, COT, SPECIFIED = STYLES
PHRASE_MAX_WORDS = 5
SHORT_MAX_WORDS = 50
CJK_CHARS_PER_WORD = 1.5

_I = re.IGNORECASE

# ------------------------------------------------------------------ multi-choice
_OPTION_LINE = re.compile(r"^\s*\(?([A-Ha-h]|[1-8])[.):]\s+\S", re.MULTILINE)
_INLINE_OPTIONS = re.compile(r"(?:^|\s)\(?[Aa][.)]\s+\S.{0,200}?\s\(?[Bb][.)]\s+\S", re.DOTALL)
_CHOICE_WORDS = re.compile(
    r"\b(?:options?|choices?)\s*:|\bchoose (?:from|between|one of)\b|\bselect (?:from|one of)\b|"
    r"\boption'?s letter\b",
    _I,
)

# -------------------------------------------------------------------- coordinate
_NUM = r"-?\d+(?:\.\d+)?"
_BOX = re.compile(rf"[\[(]\s*{_NUM}\s*,\s*{_NUM}\s*,\s*{_NUM}\s*,\s*{_NUM}\s*[\])]")
_POINT = re.compile(r"[\[(]\s*-?\d*\.\d+\s*,\s*-?\d*\.\d+\s*[\])]")
_ASKS_COORDS = re.compile(
    r"\bbounding box(?:es)?\b|\bbbox(?:es)?\b|\bcoordinates?\b|\bpixel location\b", _I
)

# ------------------------------------------------------------------------ yes/no
_YES_NO_START = re.compile(
    r"^(?:ai:\s*)?[\"'(*\s]*(?:yes|no|yeah|yep|nope)\b|^(?:是|否|不是|不)", _I
)
_REQUEST = re.compile(
    r"(?:^|[,.;?!]\s*|\b)(?:(?:can|could|would|will) you|please|help me|help us)\b.{0,30}?\b"
    r"(?:write|compose|"
    r"create|make|generate|give|tell|read|describe|explain|transform|convert|translate|"
    r"summari[sz]e|calculate|compute|provide|list|draw|design|suggest|recommend|help|show|"
    r"introduce|analy[sz]e|transcribe|extract|find)\b",
    _I,
)

# -------------------------------------------------------------------- comparison
_COMPARATIVES = (
    r"(?:bigger|larger|smaller|taller|shorter|longer|higher|lower|older|younger|brighter|"
    r"darker|heavier|lighter|faster|slower|cheaper|wider|narrower|thicker|thinner|closer|"
    r"farther|further|stronger|weaker|better|worse|greater|fewer|more|less|richer|poorer|"
    r"louder|quieter|hotter|colder|warmer|cooler|deeper|earlier|later|newer)"
)
_COMPARE_WORDS = re.compile(
    r"\bcompar(?:e|es|ed|ing|ison|isons)\b|\bdiffer(?:s|ed|ence|ences|ent from)?\b|"
    r"\bdistinguish\b|\bcontrast\b|\bsimilar(?:ity|ities|ly)?\b|\balike\b|"
    r"\bthe same\b(?! (?:format|scheme|pattern|style|convention|notation|template|way|rule))|"
    r"\bversus\b|\bvs\.?\b|\bboth\b",
    _I,
)
_COMPARATIVE = re.compile(rf"\b{_COMPARATIVES}\b", _I)
_COMPARE_COMPARATIVE = re.compile(
    rf"\b{_COMPARATIVES}\b[^.?!]{{0,120}}\bthan\b|"
    rf"\b(?:which|who) (?:of the two|one)\b[^.?!]{{0,40}}\b{_COMPARATIVES}\b|"
    rf"\b(?:which|who)\b[^.?!]{{0,30}}\bthe {_COMPARATIVES}\b|"
    rf"\b{_COMPARATIVES}\b[^.?!]{{0,30}}\bof the two\b",
    _I,
)

# -------------------------------------------------------------- chain-of-thought
_ASKS_STEPS = re.compile(
    r"\bstep[ -]by[ -]step\b|\bshow (?:your|the) (?:work|working|reasoning|steps)\b|"
    r"\bexplain your reasoning\b|\breason (?:it )?out\b|\bthink (?:it )?through\b|"
    r"一步一步|逐步",
    _I,
)
_ANSWER_STEPS = re.compile(r"(?:^|\n)\s*(?:step\s*1\s*[:.)-]|first step\s*:)|第一步", _I)
_ANSWER_STEP_2 = re.compile(r"(?:^|\n|\.\s)\s*step\s*2\s*[:.)-]|第二步", _I)

# --------------------------------------------------------------- specified style
#: Specified-style rules: (literal triggers, pattern). A pattern is only searched when one of
#: its triggers occurs in the lower-cased question (the patterns backtrack; most questions
#: have none of the words).
_SPECIFIED_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (triggers, re.compile(pattern, _I))
    for triggers, pattern in (
        # data / markup / code formats
        (
            ("json", "csv", "yaml", "xml", "html", "markdown", "latex", "sql"),
            r"\bjson\b|\bcsv\b|\byaml\b|\bxml\b|\bhtml\b|\bmarkdown\b|\blatex\b|\bsql\b",
        ),
        (
            ("python", "java", "c++", "typescript", "rust", "golang", "bash"),
            r"\b(?:python|javascript|java|c\+\+|typescript|rust|golang|bash)\b",
        ),
        (
            ("program", "script", "code"),
            r"\b(?:program|script|code snippet|source code|pseudo-?code)\b",
        ),
        (
            ("table", "list", "bullet", "outline"),
            r"\b(?:in|into|as|in the form of)\s+(?:a\s+|an\s+)?(?:table|bulleted list|"
            r"numbered list|bullet points|list|outline)\b",
        ),
        (
            (" per ", "separate line", "separated by"),
            r"\bone (?:\w+ ){0,2}(?:per|for each|for every) (?:line|item|entry|row)\b|"
            r"\bper line\b|\bon separate lines\b|\bseparated by (?:commas|semicolons|spaces)\b",
        ),
        (
            ("lowercase", "uppercase", "capital letters", "no other"),
            r"\b(?:lowercase|uppercase|capital letters)\b|\bno other (?:text|words)\b",
        ),
        # exact counts
        (
            ("exactly",),
            r"\bexactly (?:\w+ )?(?:words?|sentences?|characters?|lines?|items?|"
            r"bullet points?|paragraphs?|\w+)\b",
        ),
        (
            (" word", " character", " line", " item", " bullet", " paragraph"),
            r"\b(?:in|using|with|within|at most|no more than|under|in under)\s+(?:\d+|two|"
            r"three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)\s+(?:words?|"
            r"characters?|lines?|items?|bullet points?|paragraphs?)\b",
        ),
        # genres and registers
        (
            (
                "poem",
                "poetry",
                "haiku",
                "limerick",
                "sonnet",
                "song",
                "lyric",
                "rap",
                "stor",
                "tale",
                "fable",
                "advert",
                " ad",
                "slogan",
                "tagline",
                "tweet",
                "post",
                "letter",
                "email",
                "essay",
                "speech",
                "dialogue",
                "conversation",
                "joke",
                "riddle",
                "template",
                "screenplay",
                "script",
                "headline",
                "article",
                "diary",
                "description",
                "review",
            ),
            r"\b(?:write|compose|create|draft|make up|come up with|generate|produce|give me|"
            r"tell me|help (?:me|us) (?:to )?write)\b[^.?!]{0,60}\b(?:poem|poetry|haiku|"
            r"limerick|sonnet|song|lyrics|rap|story|stories|tale|fable|advertisement|ad|"
            r"slogan|tagline|tweet|social media post|letter|email|essay|speech|dialogue|"
            r"conversation|joke|riddle|template|screenplay|script|headline|news article|"
            r"diary entry|product description|review)\b",
        ),
        # language, persona, tone
        (
            (
                "english",
                "chinese",
                "french",
                "german",
                "spanish",
                "japanese",
                "korean",
                "italian",
                "portuguese",
                "russian",
                "arabic",
                "hindi",
            ),
            r"\b(?:in|into)\s+(?:english|chinese|french|german|spanish|japanese|korean|"
            r"italian|portuguese|russian|arabic|hindi)\b",
        ),
        (
            ("translate", "as if", "pretend", "act as", "role", "style", "voice", "tone"),
            r"\btranslate\b|\bas if you were\b|\bpretend (?:you are|to be)\b|\bact as\b|"
            r"\brole-?play\b|\bin the (?:style|voice|tone) of\b|\bin an? \w+ (?:tone|style)\b",
        ),
        # format shown by examples
        (
            ("same", "following", "given"),
            r"\b(?:using|in|follow(?:ing)?|apply(?:ing)?|with) the (?:same|following|given) "
            r"(?:format|scheme|pattern|style|convention|notation|template)\b|"
            r"\bsame (?:format|scheme|pattern|convention) as\b",
        ),
        (("用英文", "用中文", "以表格"), r"用英文|用中文|以表格"),
    )
)

# ------------------------------------------------------------------ length bands
_ASKS_PHRASE = re.compile(
    r"\bsingle word\b|\bone word\b|\bword or (?:a )?(?:short )?phrase\b|\bshort phrase\b|"
    r"\bin a word\b|\bone or two words\b|用一个词",
    _I,
)
_ASKS_DETAIL = re.compile(
    r"\bin detail\b|\bdetailed\b|\bas detailed as\b|\bin depth\b|\bin-depth\b|\bthorough(?:ly)?\b|"
    r"\bcomprehensive(?:ly)?\b|\belaborate\b|\bextensive(?:ly)?\b|详细",
    _I,
)
_ASKS_SHORT = re.compile(
    r"\bbrief(?:ly)?\b|\bshort\b|\bconcise(?:ly)?\b|\bsuccinct(?:ly)?\b|"
    r"\bin (?:one|a single|1|two|2|a few|few) sentences?\b|\bquick (?:summary|description)\b|"
    r"简要|简单|简短|一句话",
    _I,
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")


def word_count(text: str) -> float:
    """Words in ``text``: whitespace-separated tokens that are not only punctuation, plus
    CJK characters / :data:`CJK_CHARS_PER_WORD`."""
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    tokens = [t for t in rest.split() if not _PUNCT_ONLY.match(t)]
    return len(tokens) + cjk / CJK_CHARS_PER_WORD


def is_multi_choice(question: str) -> bool:
    """Options to pick from in the question (see the module docstring)."""
    if _CHOICE_WORDS.search(question):
        return True
    labels = [m.group(1).upper() for m in _OPTION_LINE.finditer(question)]
    if len(labels) >= 2 and labels[0] in ("A", "1") and labels[1] in ("B", "2"):
        return True
    return bool(_INLINE_OPTIONS.search(question))


def is_coordinate(question: str, answer: str) -> bool:
    """Numeric locations in the answer, or a question asking for them."""
    return bool(_BOX.search(answer) or _POINT.search(answer) or _ASKS_COORDS.search(question))


def is_yes_no(question: str, answer: str) -> bool:
    """A yes/no answer to a question that is not a request."""
    return bool(_YES_NO_START.search(answer.strip())) and not _REQUEST.search(question)


def is_comparison(question: str) -> bool:
    """Comparison wording in the question."""
    if _COMPARE_WORDS.search(question):
        return True
    # The comparative patterns backtrack; most questions have no comparative at all.
    return bool(_COMPARATIVE.search(question) and _COMPARE_COMPARATIVE.search(question))


def is_chain_of_thought(question: str, answer: str) -> bool:
    """A step-by-step request, or an answer reasoning in numbered steps."""
    if _ASKS_STEPS.search(question):
        return True
    return bool(_ANSWER_STEPS.search(answer) and _ANSWER_STEP_2.search(answer))


def is_specified(question: str) -> bool:
    """An explicit output format, count, genre, language or persona in the question."""
    low = question.lower()
    return any(
        any(t in low for t in triggers) and rx.search(question) for triggers, rx in _SPECIFIED_RULES
    )


def length_band(
    question: str,
    answer: str,
    phrase_max: int = PHRASE_MAX_WORDS,
    short_max: int = SHORT_MAX_WORDS,
) -> str:
    """word/short-phrase, short description or detailed description (see the module
    docstring; ``phrase_max`` / ``short_max`` are the answer-length bounds in words)."""
    if _ASKS_PHRASE.search(question):
        return PHRASE
    if _ASKS_DETAIL.search(question):
        return DETAILED
    if _ASKS_SHORT.search(question):
        return SHORT
    n = word_count(answer)
    if n <= phrase_max:
        return PHRASE
    return SHORT if n <= short_max else DETAILED


def turn_styles(
    question: str,
    answer: str,
    phrase_max: int = PHRASE_MAX_WORDS,
    short_max: int = SHORT_MAX_WORDS,
) -> list[str]:
    """The styles of one turn, in taxonomy order.

    Args:
        question: The user turn (media placeholders are removed here).
        answer: The assistant turn (may be empty: only question-side rules then apply,
            and no length band is given).
        phrase_max: Answers up to this many words are a word/short phrase.
        short_max: Answers up to this many words are a short description.
    """
    q = strip_placeholders(question).strip()
    a = strip_placeholders(answer).strip()
    found: set[str] = set()
    if is_multi_choice(q):
        found.add(MULTI_CHOICE)
    if is_coordinate(q, a):
        found.add(COORDINATE)
    if a and is_yes_no(q, a):
        found.add(YES_NO)
    if is_comparison(q):
        found.add(COMPARISON)
    if is_chain_of_thought(q, a):
        found.add(COT)
    if is_specified(q):
        found.add(SPECIFIED)
    closed = {MULTI_CHOICE, COORDINATE, YES_NO, COT, SPECIFIED}
    if a and not found & closed:
        found.add(length_band(q, a, phrase_max, short_max))
    return [s for s in STYLES if s in found]


def qa_turns(sample: Sample) -> list[tuple[str, str]]:
    """(question, answer) pairs: each user message with the assistant messages that follow
    it (a trailing question gets ``""``); system messages are ignored."""
    out: list[tuple[str, str]] = []
    for m in sample.messages:
        if m.role == "user":
            out.append((m.content, ""))
        elif m.role == "assistant" and out:
            q, a = out[-1]
            out[-1] = (q, f"{a}\n{m.content}" if a else m.content)
    return out


def merge_styles(groups: Iterable[Sequence[str]]) -> list[str]:
    """Union of style lists, in taxonomy order."""
    seen = {s for g in groups for s in g}
    return [s for s in STYLES if s in seen]


def sample_styles(sample: Sample) -> list[str]:
    """The styles of a sample: the union over its turns, in taxonomy order.

    Raises:
        ValueError: the sample has no user turn with text.
    """
    pairs = [(q, a) for q, a in qa_turns(sample) if strip_placeholders(q).strip()]
    if not pairs:
        raise ValueError("no user turn with text")
    return merge_styles(turn_styles(q, a) for q, a in pairs)
