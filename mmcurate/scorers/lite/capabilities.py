"""Lite capability scores: heuristics for the 14 mmSSR capabilities on the VLM 0-5 scale.

No VLM: a sample's score for a capability adds three kinds of evidence.

1. **What the text asks for (semantic)**: the cosine similarity of the sample's text
   embedding (MiniLM, from lite perception) to short descriptions and example requests of
   each capability (:data:`PROFILES`); the similarities go through a softmax over the 14
   capabilities (temperature :data:`SEM_TEMPERATURE`) and the best one gets
   :data:`SEM_WEIGHT`.
2. **Keyword cues**: regular expressions over each question (and, for a few cues, the
   answer) with a weight each (:data:`QUESTION_CUES`, :data:`ANSWER_CUES`); a turn's cue
   weights add up (capped at :data:`CUE_CAP`) and a sample takes the best turn per
   capability.
3. **Visual evidence** from the perception stats: OCR word count and answers that repeat
   text OCR read in the image (optical_character_recognition), the chart cue on pictures
   with little text (data_understanding), several pictures (comparative_analysis), video
   (activity_recognition) and photographs (scene_understanding).

The evidence ``e >= 0`` maps to ``score = 5 * (1 - exp(-e / SCALE))``, rounded to two
decimals (or to integers with ``integer=True``): 0 means no evidence at all, ~2 one clear
cue, 4+ several agreeing cues. Scores are continuous so that ranking by score (selection)
rarely meets ties. They are heuristics: they read what a turn *asks for* and cheap visual
cues, not whether the answer is right. Measured accuracy: README ("Lite scoring") and
bench/RESULTS.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mmcurate.sample import Sample, StatValue, strip_placeholders
from mmcurate.taxonomy import CAPABILITIES

SEM_WEIGHT = 0.1
SEM_TEMPERATURE = 0.05
CUE_CAP = 3.0
#: Weight of a conversation's later turns relative to its first (the first question sets
#: the task; follow-ups usually narrow it down).
FOLLOW_UP_WEIGHT = 0.6
SCALE = 2.0

#: Per capability: a description and example requests, embedded once per process.
PROFILES: dict[str, tuple[str, ...]] = {
    "object_spatial_understanding": (
        "Where objects are in the image and how they are positioned relative to each other.",
        "Where is the cup in the picture?",
        "What is to the left of the lamp?",
        "Which object is closest to the door?",
        "Give the bounding box of the dog.",
        "Is the ball above or below the table?",
        "Which item is in the top right corner?",
    ),
    "attribute_identification": (
        "Identify properties of objects: colour, shape, size, material, texture, state.",
        "What colour is the car?",
        "What shape is the sign?",
        "What is the table made of?",
        "Is the door open or closed?",
        "What is the woman wearing?",
        "Is there a red circle in the image?",
    ),
    "logical_deduction": (
        "Reason from given facts and rules to a conclusion, puzzles and hypotheticals.",
        "If the red block were removed, how many blocks would remain?",
        "Which statement must be true given the picture?",
        "Following the rule shown, what comes next in the sequence?",
        "How many items satisfy both conditions?",
        "What would the picture look like if it were flipped?",
    ),
    "scene_understanding": (
        "Understand the whole scene: what is shown, the setting, the objects present.",
        "Describe this image briefly.",
        "What kind of place is this?",
        "Is this photo taken indoors or outdoors?",
        "How many people are in the picture?",
        "What is in the photo?",
        "Is there water in this scene?",
    ),
    "fine_grained_recognition": (
        "Recognise specific categories and instances: species, breeds, models, landmarks, "
        "celebrities, exact object types.",
        "What breed is this dog?",
        "Which species of bird is this?",
        "Who is the person in the image?",
        "What is the main subject of this photo?",
        "What model of car is shown?",
        "Which landmark is this?",
    ),
    "language_generation": (
        "Produce fluent, well organised longer text: detailed descriptions, stories, "
        "summaries, explanations in full sentences.",
        "Describe the image in detail.",
        "Write a story about this picture.",
        "Summarize the document in a few sentences.",
        "Write a poem inspired by the image.",
        "Write an advertisement for this product.",
    ),
    "in_context_learning": (
        "Learn a pattern from examples given in the prompt and apply it to the image.",
        "Here are some examples: cat -> CAT-1, dog -> DOG-2. Apply the same scheme.",
        "Following the format of the examples above, label this image.",
        "Example: 'two apples' -> apples=2. Using the same format, report the count.",
        "Given these input-output pairs, what is the output for this one?",
    ),
    "comparative_analysis": (
        "Compare two or more objects, regions, values or images and state the differences "
        "or similarities.",
        "Compare the two images.",
        "What is the difference between the left and the right object?",
        "Which one is larger, A or B?",
        "Is the first value greater than the second?",
        "Do both pictures show the same animal?",
    ),
    "activity_recognition": (
        "Recognise actions, activities and events of people, animals or objects, "
        "including motion over time in videos.",
        "What is the man doing?",
        "What sport are they playing?",
        "What happens in the video?",
        "Which direction does the ball move?",
        "What event is taking place?",
    ),
    "causal_reasoning": (
        "Explain why something happens or what will happen: causes, effects, purposes, "
        "consequences.",
        "Why is the ground wet?",
        "What will happen next?",
        "Why is the image blurred?",
        "What caused the damage?",
        "What should people do when they see this sign, and why?",
    ),
    "humanities": (
        "Knowledge of history, art, culture, religion, literature, geography and society.",
        "Which historical event is shown?",
        "Who painted this artwork?",
        "In which century was this building constructed?",
        "What civilization made these coins?",
        "Which event came first in the timeline?",
    ),
    "stem_knowledge": (
        "Science, technology, engineering and mathematics: physics, biology, chemistry, "
        "astronomy, geometry, arithmetic and calculations.",
        "What is the sum of the numbers shown?",
        "Which organ of the body is shown in the microscope image?",
        "Why do planets orbit the sun?",
        "How many corners do the shapes have in total?",
        "What is the average of the values?",
    ),
    "data_understanding": (
        "Read and interpret charts, graphs, plots, tables and diagrams: values, trends, "
        "proportions and correlations.",
        "What is the value for March in the bar chart?",
        "Which category has the largest share in the pie chart?",
        "Describe the trend of the line graph.",
        "What does the table show for 2020?",
        "Is there a positive correlation in the scatter plot?",
    ),
    "optical_character_recognition": (
        "Read text in the image: signs, labels, documents, receipts, forms, titles.",
        "What does the sign say?",
        "Read the text in the image.",
        "Transcribe the document.",
        "What is the total on the receipt?",
        "What name is written on the form?",
    ),
}

_NUM = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)"
_COLOURS = (
    r"(?:red|green|blue|yellow|orange|purple|pink|brown|black|white|gr[ae]y|violet|"
    r"beige|gold|silver|cyan|magenta)"
)
_SHAPES = r"(?:circles?|squares?|triangles?|diamonds?|rectangles?|stars?|ovals?|hexagons?)"

#: (capability, pattern, weight) over each question (lower-cased, placeholders removed).
QUESTION_CUES: tuple[tuple[str, str, float], ...] = (
    # spatial
    ("object_spatial_understanding", r"\bwhere (?:is|are|was|were)\b", 0.8),
    (
        "object_spatial_understanding",
        r"\b(?:left|right) of\b|\babove\b|\bbelow\b|\bunder(?:neath)?\b|\bbehind\b|"
        r"\bin front of\b|\bnext to\b|\bbeside\b|\bbetween\b.{0,40}\band\b",
        1.0,
    ),
    (
        "object_spatial_understanding",
        r"\b(?:left|right|top|bottom|upper|lower|middle|centre|center) "
        r"(?:part|half|side|corner|edge)\b",
        1.0,
    ),
    (
        "object_spatial_understanding",
        r"\b(?:leftmost|rightmost|topmost|bottommost|closest|nearest|farthest)\b|"
        r"\bfrom (?:left to right|right to left|top to bottom)\b",
        1.0,
    ),
    (
        "object_spatial_understanding",
        r"\bbounding box\b|\bbbox\b|\bcoordinates?\b|\bposition\b|\blocat(?:ed|ion)\b|"
        r"\bspatial\b",
        0.9,
    ),
    ("object_spatial_understanding", r"\b(?:in|on) the (?:top|bottom|left|right)\b", 0.5),
    # attributes
    ("attribute_identification", r"\bwhat colou?r\b|\bwhich colou?r\b|\bcolou?r of\b", 1.0),
    ("attribute_identification", r"\bwhat (?:shape|size|material|texture|pattern)\b", 1.0),
    ("attribute_identification", rf"\b{_COLOURS}\b", 0.35),
    ("attribute_identification", r"\bmade of\b|\bwearing\b|\bbackground colou?r\b", 0.6),
    (
        "attribute_identification",
        r"\bgr[ae]yscale\b|\bblack and white\b|\bmonochrome\b|\bcolou?rful\b|\bshiny\b|"
        r"\btransparent\b",
        0.6,
    ),
    ("attribute_identification", rf"\b(?:is|are) there (?:an? |any )?{_COLOURS}\b", 0.8),
    ("attribute_identification", r"\b(?:brighter|darker|larger|smaller|bigger)\b", 0.3),
    # logic
    ("logical_deduction", r"\bif (?:all |the |we |you )?.{0,40}\b(?:were|was|would)\b", 1.0),
    ("logical_deduction", r"\bwould (?:remain|be left)\b|\bremov(?:e|ed|ing)\b", 0.6),
    ("logical_deduction", r"\b(?:deduce|infer|logic(?:al)?|puzzle|must be|conclude)\b", 0.9),
    ("logical_deduction", r"\bhow many\b.{0,40}\b(?:or|and not|but not|except)\b", 0.7),
    ("logical_deduction", r"\bhow (?:old|long ago)\b|\bwithout the\b|\bhow much would\b", 0.5),
    # scene
    (
        "scene_understanding",
        r"\bdescribe (?:this|the) (?:image|picture|photo|scene|video)\b|\bwhat is (?:shown|in)\b|"
        r"\bwhat (?:is|are) (?:shown|happening) in\b",
        1.2,
    ),
    ("scene_understanding", r"\bwhat (?:kind|type) of (?:place|scene|room|setting)\b", 1.0),
    ("scene_understanding", r"\b(?:indoors?|outdoors?|scene|setting|weather|environment)\b", 0.6),
    ("scene_understanding", r"\bhow many\b", 0.5),
    ("scene_understanding", r"\bis there (?:any|a|an)?\b|\bare (?:there|any)\b", 0.3),
    ("scene_understanding", r"\bvisible\b|\bin the (?:image|picture|photo|scene)\b", 0.2),
    # fine-grained
    (
        "fine_grained_recognition",
        r"\bwhat (?:breed|species|model|brand|make|kind of animal|type of animal)\b|"
        r"\bwhich (?:breed|species|model|brand|landmark|city|country)\b",
        1.2,
    ),
    (
        "fine_grained_recognition",
        r"\bmain subject\b|\bwhat (?:kind|type) of (?!place|scene|room|setting|change)|"
        r"\bidentify\b",
        0.8,
    ),
    ("fine_grained_recognition", r"\bwho (?:is|are)\b|\bwhat is the name\b", 0.8),
    ("fine_grained_recognition", r"\b(?:smallest|largest|biggest|tallest|shortest)\b", 0.4),
    ("fine_grained_recognition", r"\bwhat shape\b|\bwhich (?:image|picture) shows\b", 0.5),
    # language generation
    (
        "language_generation",
        r"\bin detail\b|\bdetailed\b|\belaborate\b|\bas detailed as\b|\bthoroughly\b",
        1.2,
    ),
    (
        "language_generation",
        r"\b(?:write|compose|draft)\b|\b(?:story|poem|essay|advertisement|letter|song|"
        r"conversation|dialogue|slogan)\b",
        1.0,
    ),
    ("language_generation", r"\bsummari[sz]e\b|\bsummary\b|\bin (?:exactly )?\w+ words\b", 0.7),
    ("language_generation", r"\bdescribe\b|\bexplain\b|\bintroduc(?:e|tion)\b", 0.3),
    ("language_generation", r"\bjson\b|\bcsv\b|\bformat\b", 0.4),
    # in-context learning
    ("in_context_learning", r"\bexamples?\b|\bfor instance\b|\be\.g\.", 0.7),
    (
        "in_context_learning",
        r"\b(?:same|following|given|this) (?:scheme|format|pattern|rule|convention|mapping)\b",
        1.1,
    ),
    ("in_context_learning", r"->|=>|\u2192", 0.8),
    ("in_context_learning", r"(?:->|=>|\u2192).{2,80}(?:->|=>|\u2192)", 0.8),
    ("in_context_learning", r"\bhere (?:is|are) (?:a|an|some)\b", 0.4),
    # comparison
    (
        "comparative_analysis",
        r"\bcompar(?:e|es|ed|ing|ison)\b|\bdiffer(?:s|ence|ences)?\b|\bsimilar(?:ity)?\b",
        1.5,
    ),
    (
        "comparative_analysis",
        r"\b(?:greater|larger|bigger|smaller|higher|lower|more|less|fewer|brighter|darker|"
        r"older|younger|longer|shorter|taller|cheaper)\b.{0,30}\bthan\b",
        1.0,
    ),
    ("comparative_analysis", r"\bboth\b|\bthe same\b|\bversus\b|\bvs\.?\b|\btwo images\b", 0.8),
    ("comparative_analysis", r"\bwhich (?:of the two|one)\b|\bfirst or the second\b", 0.7),
    ("comparative_analysis", r"\bincrease|\bdecrease|\bfrom \w+ to \w+\b", 0.4),
    (
        "comparative_analysis",
        r"\b(?:first|second|other) (?:image|picture|photo)\b|\bchanged?\b|\bchanges\b",
        0.7,
    ),
    # activity
    ("activity_recognition", r"\bdoing\b|\bactivit(?:y|ies)\b|\baction\b|\bplaying\b", 1.1),
    ("activity_recognition", r"\bwhat happens\b|\bhappening\b|\bevent\b|\bduring\b", 0.9),
    ("activity_recognition", r"\bmov(?:e|es|ed|ing)\b|\bdirection\b|\bvideo\b", 0.6),
    # causal
    ("causal_reasoning", r"\bwhy\b|\bwhat causes?\b|\bwhat caused\b|\bhow come\b", 1.1),
    (
        "causal_reasoning",
        r"\bwhat (?:will|would|might) happen\b|\bwhat should\b|\bconsequence|\beffect\b|"
        r"\bpurpose\b|\breason\b|\bimpl(?:y|ies|ication)\b|\bmeans?\b|"
        r"\btells? (?:people|us|you|drivers|visitors|the (?:viewer|reader|people))\b|"
        r"\bwhat does (?:this|the|that) (?:\w+ )?\w+ (?:tell|mean|indicate|warn)\b",
        1.0,
    ),
    # humanities
    (
        "humanities",
        r"\bhistor(?:y|ic|ical)\b|\bancient\b|\bcentur(?:y|ies)\b|\bwar\b|\bempire\b|"
        r"\bking\b|\bqueen\b|\bcultur(?:e|al)\b|\breligio(?:n|us)\b|\bpainting\b|\bartist\b|"
        r"\bart\b|\bmuseum\b|\bcivili[sz]ation\b|\bdynasty\b|\bmedieval\b|\bgreek\b|"
        r"\broman\b|\bpharaoh\b|\brevolution\b|\bbattle\b|\bmonument\b",
        0.8,
    ),
    ("humanities", r"\b(?:came|happened) first\b|\bwhich year\b|\bwhen was\b", 0.6),
    ("humanities", r"\bmovie\b|\bfilm\b|\bliterature\b|\bpoet\b|\bcity\b", 0.3),
    # STEM
    (
        "stem_knowledge",
        r"\b(?:average|mean|sum|total|percent(?:age)?|calculate|compute|equation|formula|"
        r"corners?|angles?|area|volume|correlation|prime|probability)\b",
        0.7,
    ),
    (
        "stem_knowledge",
        r"\b(?:science|scientific|physics|chemistry|biology|math(?:ematics)?|astronom\w*|"
        r"planet|galax\w*|moon|crater|cells?|tissue|microscope|organ|energy|force|molecule|"
        r"atom|temperature|gravity|eye|retina|volcano\w*|telescope|orbit\w*|satellite|"
        r"rocket|engine|electric\w*|circuit|chemical|dna|gene\w*|species)\b",
        0.7,
    ),
    # data
    (
        "data_understanding",
        r"\b(?:chart|graph|plot|table|diagram|bar|bars|pie|slices?|axis|legend|trend|"
        r"scatter|histogram|spreadsheet)\b",
        1.2,
    ),
    (
        "data_understanding",
        r"\b(?:values?|data|shares?|percentages?|categor(?:y|ies)|statistics?)\b",
        0.6,
    ),
    (
        "data_understanding",
        r"\bhighest\b|\blowest\b|\bmaximum\b|\bminimum\b|\bpeak\b|\bcorrelation\b",
        0.5,
    ),
    ("data_understanding", r"\b(?:columns?|rows?|cells?|listed|entries)\b", 0.6),
    # OCR
    (
        "optical_character_recognition",
        r"\b(?:text|read|reads|written|writing|say|says|spell(?:ed|s)?|printed|title)\b",
        1.0,
    ),
    ("optical_character_recognition", r"\btranscri(?:be|ption)\b|\bocr\b", 1.5),
    (
        "optical_character_recognition",
        r"\b(?:words?|letters?|label|caption|font)\b",
        0.5,
    ),
    (
        "optical_character_recognition",
        r"\b(?:sign|document|receipt|form|page|menu|poster|ticket|license plate|"
        r"handwriting)\b",
        0.6,
    ),
)

#: (capability, pattern, weight) over each answer.
ANSWER_CUES: tuple[tuple[str, str, float], ...] = (
    (
        "object_spatial_understanding",
        r"\[\s*-?\d*\.?\d+\s*,\s*-?\d*\.?\d+\s*,\s*-?\d*\.?\d+\s*,\s*-?\d*\.?\d+\s*\]",
        1.2,
    ),
    ("stem_knowledge", r"\d\s*[-+x\u00d7*/]\s*\d[^\n]*=\s*-?\$?\d", 0.5),
    ("logical_deduction", r"\bstep \d+\b.{0,80}\b(?:counts|does not count)\b", 0.5),
)

_COMPILED_Q = [(c, re.compile(p, re.IGNORECASE), w) for c, p, w in QUESTION_CUES]
_COMPILED_A = [(c, re.compile(p, re.IGNORECASE), w) for c, p, w in ANSWER_CUES]
#: Capabilities whose topic cues also count when they match the image's OCR text.
TOPIC_CAPABILITIES = ("humanities", "stem_knowledge")
OCR_TOPIC_WEIGHT = 0.6
_TOKEN = re.compile(r"[^\W\d_]{3,}")
#: Frequent words that prove nothing when both an answer and an image contain them.
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """the and for with that this from are was were has have had not but its his her
        their they there which what who whom whose when where why how all any each few more
        most other some such than too very can will just one two three four five six seven
        eight nine ten image picture photo shows shown show""",
    )
)
#: Answer-format instructions (LLaVA-style suffixes): they say how to answer, not what
#: the question is about, so capability cues ignore them.
_FORMAT_INSTRUCTIONS = re.compile(
    r"answer (?:the question )?(?:using|with) (?:a single word or (?:a )?phrase|one word)[^.\n]*"
    r"|answer with the option'?s letter[^.\n]*"
    r"|answer with (?:a|the) bounding box[^\n]*?(?:\(0 to 1\)|\.)"
    r"|(?:let'?s )?think step[ -]by[ -]step"
    r"|please answer (?:yes or no|briefly)",
    re.IGNORECASE,
)
_OPTION_LINE = re.compile(r"^\s*\(?[A-Ha-h][.)]\s+.*$", re.MULTILINE)


def question_stem(question: str) -> str:
    """The question without answer-format instructions and multi-choice option lines."""
    text = _OPTION_LINE.sub("", _FORMAT_INSTRUCTIONS.sub("", question))
    return "\n".join(line for line in (x.strip() for x in text.splitlines()) if line.strip(". "))


@dataclass(frozen=True)
class Evidence:
    """The evidence behind one sample's scores (for explanations and tests)."""

    semantic: dict[str, float] = field(default_factory=dict)
    cues: dict[str, float] = field(default_factory=dict)
    visual: dict[str, float] = field(default_factory=dict)

    def total(self) -> dict[str, float]:
        """Evidence per capability, summed."""
        return {
            c: self.semantic.get(c, 0.0) + self.cues.get(c, 0.0) + self.visual.get(c, 0.0)
            for c in CAPABILITIES
        }


def turns(sample: Sample) -> list[tuple[str, str]]:
    """(question, answer) pairs: each user message with the assistant messages after it
    (placeholders removed; a question without an answer gets ``""``)."""
    out: list[tuple[str, str]] = []
    for m in sample.messages:
        text = strip_placeholders(m.content).strip()
        if m.role == "user":
            out.append((text, ""))
        elif m.role == "assistant" and out:
            q, a = out[-1]
            out[-1] = (q, f"{a}\n{text}".strip())
    return out


def cue_scores(question: str, answer: str) -> dict[str, float]:
    """Keyword-cue evidence of one turn per capability (capped at :data:`CUE_CAP`)."""
    stem = question_stem(question)
    out: dict[str, float] = {}
    for cap, rx, w in _COMPILED_Q:
        if rx.search(stem):
            out[cap] = out.get(cap, 0.0) + w
    for cap, rx, w in _COMPILED_A:
        if rx.search(answer):
            out[cap] = out.get(cap, 0.0) + w
    words = len(answer.split())
    if words > 25:
        out["language_generation"] = out.get("language_generation", 0.0) + min(
            1.2, (words - 25) / 50
        )
    return {c: min(CUE_CAP, v) for c, v in out.items()}


def _num(stats: Mapping[str, StatValue], key: str) -> float:
    value = stats.get(key, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def _words(text: str) -> set[str]:
    """Lower-cased alphabetic words of 3+ letters, minus :data:`_STOPWORDS`."""
    return {t for t in (w.lower() for w in _TOKEN.findall(text)) if t not in _STOPWORDS}


def _ocr_grounding(ocr_tokens: set[str], qa: Sequence[tuple[str, str]]) -> float:
    """Best share (0-1) of an answer's words, or of a question's quoted words, that OCR
    read in the image: the turn is about the image's text."""
    best = 0.0
    for q, a in qa:
        quoted = " ".join(re.findall(r"\"([^\"]{2,60})\"", q))
        groups = [_words(quoted), _words(a)]
        for group in groups:
            if group:
                best = max(best, len(group & ocr_tokens) / len(group))
    return best


def visual_scores(
    stats: Mapping[str, StatValue], qa: Sequence[tuple[str, str]], videos: int
) -> dict[str, float]:
    """Visual evidence per capability from local perception stats (keys without the op
    prefix)."""
    out: dict[str, float] = {}
    words = _num(stats, "ocr_words")
    ocr_text = str(stats.get("ocr_text", ""))
    if words >= 2:
        out["optical_character_recognition"] = 0.2 + 0.3 * min(1.0, words / 40)
    ocr_tokens = _words(ocr_text)
    grounded = _ocr_grounding(ocr_tokens, qa) if ocr_tokens else 0.0
    if grounded > 0.4:
        out["optical_character_recognition"] = out.get("optical_character_recognition", 0.0) + (
            (grounded - 0.4) / 0.6
        )
    for cap, rx, w in _COMPILED_Q:
        if cap in TOPIC_CAPABILITIES and ocr_text and rx.search(ocr_text):
            out[cap] = max(out.get(cap, 0.0), OCR_TOPIC_WEIGHT * w)
    chart = _num(stats, "chart_cue")
    regions = _num(stats, "text_region_ratio")
    little_text = min(1.0, max(0.0, (0.08 - regions) / 0.05))
    if chart >= 0.6 and regions > 0.0:
        out["data_understanding"] = 0.8 * chart * little_text
    if _num(stats, "images") >= 2 and videos == 0:
        out["comparative_analysis"] = 0.6
    if videos:
        out["activity_recognition"] = 0.6
    if _num(stats, "entropy") >= 4.5 and chart < 0.4:
        out["scene_understanding"] = 0.3
        out["fine_grained_recognition"] = 0.2
    return out


class CapabilityModel:
    """Scores samples from their text embedding, turns and perception stats.

    Args:
        prototypes: Per capability, the L2-normalised embeddings of its
            :data:`PROFILES` texts (``(k, d)`` arrays), from the same encoder as the
            sample embeddings.
    """

    def __init__(self, prototypes: Mapping[str, np.ndarray]) -> None:
        missing = [c for c in CAPABILITIES if c not in prototypes]
        if missing:
            raise ValueError(f"prototypes missing for {missing}")
        self.prototypes = {c: np.asarray(prototypes[c], dtype=np.float32) for c in CAPABILITIES}
        # All profiles in one matrix; row ranges per capability (one matmul per sample).
        self._stacked = np.concatenate([self.prototypes[c] for c in CAPABILITIES])
        sizes = [len(self.prototypes[c]) for c in CAPABILITIES]
        self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)

    def semantic(self, embedding: np.ndarray) -> dict[str, float]:
        """Semantic evidence: softmax over capabilities of the best prototype similarity,
        scaled so the best capability gets :data:`SEM_WEIGHT`."""
        v = np.asarray(embedding, dtype=np.float32)
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            return dict.fromkeys(CAPABILITIES, 0.0)
        v = v / norm
        if v.shape[0] != self._stacked.shape[1]:
            return dict.fromkeys(CAPABILITIES, 0.0)
        sims = np.maximum.reduceat(self._stacked @ v, self._starts)
        z = np.exp((sims - sims.max()) / SEM_TEMPERATURE)
        return {c: float(SEM_WEIGHT * z[i]) for i, c in enumerate(CAPABILITIES)}

    def evidence(
        self,
        qa: Sequence[tuple[str, str]],
        embedding: np.ndarray | None,
        stats: Mapping[str, StatValue],
        videos: int = 0,
    ) -> Evidence:
        """All evidence for one sample.

        Args:
            qa: The sample's (question, answer) turns.
            embedding: Its text embedding (``None``: no semantic evidence).
            stats: Its lite perception stats, local names (``ocr_words``, ...).
            videos: Number of videos in the sample.
        """
        cues: dict[str, float] = {}
        for k, (q, a) in enumerate(qa):
            weight = 1.0 if k == 0 else FOLLOW_UP_WEIGHT
            for c, v in cue_scores(q, a).items():
                cues[c] = max(cues.get(c, 0.0), weight * v)
        sem = self.semantic(embedding) if embedding is not None else {}
        return Evidence(semantic=sem, cues=cues, visual=visual_scores(stats, qa, videos))

    @staticmethod
    def to_scores(
        evidence: Evidence, capabilities: Sequence[str], integer: bool = False
    ) -> dict[str, float]:
        """Evidence -> 0-5 scores for ``capabilities``."""
        total = evidence.total()
        out = {}
        for c in capabilities:
            s = 5.0 * (1.0 - math.exp(-max(0.0, total[c]) / SCALE))
            out[c] = float(round(s)) if integer else round(s, 2)
        return out
