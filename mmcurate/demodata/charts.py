"""Charts drawn with matplotlib (Agg canvas, no pyplot state): bar, line, pie and scatter.

Values are printed on the chart (bar labels, point labels, percentages) so every answer can
be read off the image; the values themselves are the ground truth in ``truth["values"]``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    COMPARATIVE,
    DATA,
    ICL,
    LANGUAGE,
    LOGIC,
    OCR,
    STEM,
    Item,
    Picture,
    Turn,
    join_words,
    number_word,
)

_RC: dict[Any, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 13,
    "svg.hashsalt": "mmcurate",
    "path.simplify": True,
}
COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")


@dataclass(frozen=True)
class Topic:
    """A chart topic: title stem, unit and category (or x) labels."""

    title: str
    unit: str
    labels: tuple[str, ...]


BAR_TOPICS = (
    Topic("Fruit sold", "kg", ("Apples", "Pears", "Plums", "Grapes", "Cherries", "Lemons")),
    Topic("Museum visitors", "thousands", ("Art", "Science", "History", "Nature", "Design")),
    Topic("Bikes rented by station", "rentals", ("North", "South", "East", "West", "Central")),
    Topic("Votes for the class trip", "votes", ("Zoo", "Museum", "Beach", "Castle", "Farm")),
    Topic("Energy produced by source", "GWh", ("Solar", "Wind", "Hydro", "Gas", "Nuclear")),
)
LINE_TOPICS = (
    Topic("Website visitors", "thousands", tuple(str(y) for y in range(2016, 2024))),
    Topic("Average temperature", "degrees C", ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul")),
    Topic("Monthly rainfall", "mm", ("Jan", "Feb", "Mar", "Apr", "May", "Jun")),
    Topic("Company revenue", "million USD", tuple(str(y) for y in range(2015, 2023))),
)
PIE_TOPICS = (
    Topic("Household budget", "%", ("Rent", "Food", "Transport", "Savings", "Leisure")),
    Topic("Time spent on a weekday", "%", ("Sleep", "Work", "Commute", "Meals", "Free time")),
    Topic("Web traffic by device", "%", ("Phone", "Laptop", "Tablet", "Desktop")),
)
SCATTER_TOPICS = (
    ("Study time and exam score", "Hours studied", "Exam score", 1),
    ("Temperature and ice cream sales", "Temperature (C)", "Cones sold", 1),
    ("Car age and resale price", "Age (years)", "Price (thousand USD)", -1),
    ("Altitude and air temperature", "Altitude (100 m)", "Temperature (C)", -1),
)


def _figure(rng: random.Random) -> tuple[Figure, FigureCanvasAgg]:
    w, h = rng.choice(((5.0, 3.75), (6.0, 4.0), (6.4, 4.8)))
    fig = Figure(figsize=(w, h), dpi=100)
    return fig, FigureCanvasAgg(fig)


def _render(fig: Figure, canvas: FigureCanvasAgg) -> Image.Image:
    # Fixed margins: tight_layout would cost as much as drawing the figure.
    fig.subplots_adjust(left=0.13, right=0.97, top=0.9, bottom=0.13)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return Image.fromarray(rgba[..., :3].copy())


def _num(x: float) -> str:
    """Format a number without trailing zeros (``46.80`` -> ``46.8``, ``5.0`` -> ``5``)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _common(
    title: str, kind: str, label: str | None = None, value: str | None = None
) -> list[Turn]:
    turns = [
        cv.transcription("What is the title of the chart?", title, (OCR, DATA)),
        cv.short_answer("What type of chart is this?", f"{kind} chart", (DATA,)),
    ]
    if label is not None and value is not None:
        turns.append(
            cv.short_answer(
                'Examples of a compact answer format: "North had 12 rentals" -> North=12; '
                '"Solar made 30 GWh" -> Solar=30. Using the same format, report the value '
                f"shown for {label}.",
                f"{label}={value}",
                (ICL, DATA),
            )
        )
    return turns


def bar(rng: random.Random) -> Item:
    """A bar chart with value labels on the bars."""
    topic = rng.choice(BAR_TOPICS)
    labels = rng.sample(list(topic.labels), rng.randint(4, 5))
    values = rng.sample(range(5, 96), len(labels))
    title = f"{topic.title} in {rng.randint(2019, 2024)}"
    with matplotlib.rc_context(_RC):
        fig, canvas = _figure(rng)
        ax = fig.add_subplot()
        bars = ax.bar(labels, values, color=rng.choice(COLORS))
        ax.bar_label(bars, labels=[str(v) for v in values])
        ax.set_title(title)
        ax.set_ylabel(topic.unit)
        ax.set_ylim(0, max(values) * 1.15)
        img = _render(fig, canvas)
    hi = max(range(len(values)), key=values.__getitem__)
    lo = min(range(len(values)), key=values.__getitem__)
    i, j = rng.sample(range(len(values)), 2)
    mean = sum(values) / len(values)
    pairs = dict(zip(labels, values, strict=True))
    listing = join_words([f"{k} {v}" for k, v in pairs.items()])
    turns = [
        *_common(title, "bar", labels[i], str(values[i])),
        cv.short_answer(f"What is the value for {labels[i]}?", str(values[i]), (DATA,)),
        cv.multi_choice(
            rng,
            "Which category has the highest value?",
            labels[hi],
            [x for x in labels if x != labels[hi]],
            (DATA, COMPARATIVE),
        ),
        cv.yes_no(
            f"Is the value for {labels[i]} greater than the value for {labels[j]}?",
            values[i] > values[j],
            (DATA, COMPARATIVE),
        ),
        cv.chain_of_thought(
            "What is the difference between the highest and the lowest value?",
            (
                f"The highest bar is {labels[hi]} with {values[hi]}.",
                f"The lowest bar is {labels[lo]} with {values[lo]}.",
                f"{values[hi]} - {values[lo]} = {values[hi] - values[lo]}.",
            ),
            str(values[hi] - values[lo]),
            (DATA, LOGIC),
        ),
        cv.chain_of_thought(
            "What is the average of the values shown?",
            (
                f"The values are {join_words([str(v) for v in values])}.",
                f"Their sum is {' + '.join(map(str, values))} = {sum(values)}.",
                f"{sum(values)} / {len(values)} = {_num(mean)}.",
            ),
            _num(mean),
            (STEM, DATA),
        ),
        cv.specified(
            "Give the data as a JSON object that maps each category to its value.",
            cv.as_json(pairs),
            (DATA, LANGUAGE),
        ),
        cv.comparison(
            f"Compare {labels[i]} and {labels[j]}.",
            f"{labels[i]} has {values[i]} {topic.unit} and {labels[j]} has {values[j]} "
            f"{topic.unit}, so {labels[i] if values[i] > values[j] else labels[j]} is higher by "
            f"{abs(values[i] - values[j])}.",
            (COMPARATIVE, DATA),
        ),
        cv.short_answer("How many bars are in the chart?", str(len(values)), (DATA,)),
        cv.description(
            "Briefly describe the chart.",
            f'A bar chart titled "{title}" with {number_word(len(values))} bars; '
            f"{labels[hi]} is the "
            f"highest ({values[hi]}) and {labels[lo]} the lowest ({values[lo]}).",
            (DATA, LANGUAGE),
            False,
        ),
        cv.description(
            "Describe the chart in detail.",
            f'This bar chart, titled "{title}", shows {topic.unit} for {number_word(len(values))} '
            f"categories. The values are: {listing}. {labels[hi]} is the highest and "
            f"{labels[lo]} the "
            f"lowest, a gap of {values[hi] - values[lo]}; the average is {_num(mean)}.",
            (DATA, LANGUAGE),
            True,
        ),
    ]
    truth = {"chart": "bar", "title": title, "unit": topic.unit, "labels": labels, "values": values}
    return Item("chart", "bar", [Picture(img)], truth=truth, turns=turns)


def line(rng: random.Random) -> Item:
    """A line chart over ordered x labels, each point labelled with its value."""
    topic = rng.choice(LINE_TOPICS)
    xs = list(topic.labels)
    while True:
        values = [rng.randint(10, 40)]
        for _ in xs[1:]:
            values.append(max(1, values[-1] + rng.randint(-8, 12)))
        rises = [b - a for a, b in zip(values, values[1:], strict=False)]
        if values.count(max(values)) == 1 and rises.count(max(rises)) == 1 and max(rises) > 0:
            break
    title = topic.title
    with matplotlib.rc_context(_RC):
        fig, canvas = _figure(rng)
        ax = fig.add_subplot()
        ax.plot(xs, values, marker="o", color=rng.choice(COLORS))
        for x, v in zip(xs, values, strict=True):
            ax.annotate(str(v), (x, v), textcoords="offset points", xytext=(0, 6), ha="center")
        ax.set_title(title)
        ax.set_ylabel(topic.unit)
        ax.set_ylim(0, max(values) * 1.2)
        img = _render(fig, canvas)
    top = values.index(max(values))
    k = rises.index(max(rises))
    i, j = sorted(rng.sample(range(len(xs)), 2))
    trend = (
        "increased"
        if values[-1] > values[0]
        else "decreased"
        if values[-1] < values[0]
        else "ended level"
    )
    turns = [
        *_common(title, "line", xs[i], str(values[i])),
        cv.short_answer("In which period was the value highest?", xs[top], (DATA,)),
        cv.short_answer(f"What is the value in {xs[i]}?", str(values[i]), (DATA,)),
        cv.yes_no(
            f"Did the value increase from {xs[i]} to {xs[j]}?",
            values[j] > values[i],
            (DATA, COMPARATIVE),
        ),
        cv.chain_of_thought(
            "Between which two consecutive periods did the value rise the most?",
            tuple(
                f"{xs[n]} to {xs[n + 1]}: {values[n + 1] - values[n]:+d}."
                for n in range(len(rises))
            )
            + (f"The largest rise is {max(rises)}, from {xs[k]} to {xs[k + 1]}.",),
            f"From {xs[k]} to {xs[k + 1]}",
            (DATA, LOGIC),
        ),
        cv.specified(
            "List the values in chronological order, separated by commas, with no other text.",
            ", ".join(map(str, values)),
            (DATA, LANGUAGE),
        ),
        cv.comparison(
            f"Compare the values in {xs[i]} and {xs[j]}.",
            f"The value was {values[i]} in {xs[i]} and {values[j]} in {xs[j]}, "
            + (
                f"a change of {values[j] - values[i]:+d}."
                if values[i] != values[j]
                else "so it was the same in both."
            ),
            (COMPARATIVE, DATA),
        ),
        cv.description(
            "Briefly describe the chart.",
            f'A line chart titled "{title}" from {xs[0]} to {xs[-1]}; the value {trend} from '
            f"{values[0]} to {values[-1]} and peaked at {values[top]} in {xs[top]}.",
            (DATA, LANGUAGE),
            False,
        ),
        cv.description(
            "Describe the chart in detail.",
            f'This line chart, titled "{title}", tracks {topic.unit} over {number_word(len(xs))} '
            f"periods. The values are "
            + join_words([f"{v} in {x}" for x, v in zip(xs, values, strict=True)])
            + f". Overall the value {trend}, with its peak of {values[top]} in {xs[top]} and its "
            f"largest rise ({max(rises)}) from {xs[k]} to {xs[k + 1]}.",
            (DATA, LANGUAGE),
            True,
        ),
    ]
    truth = {"chart": "line", "title": title, "unit": topic.unit, "labels": xs, "values": values}
    return Item("chart", "line", [Picture(img)], truth=truth, turns=turns)


def _shares(rng: random.Random, k: int) -> list[int]:
    """``k`` percentages, multiples of 5, each at least 10, summing to 100, unique maximum."""
    while True:
        cuts = sorted(rng.sample(range(1, 20), k - 1))
        parts = [(b - a) * 5 for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
        if min(parts) >= 10 and parts.count(max(parts)) == 1:
            return parts


def pie(rng: random.Random) -> Item:
    """A pie chart whose slices are labelled with integer percentages (summing to 100)."""
    topic = rng.choice(PIE_TOPICS)
    labels = list(topic.labels)
    shares = _shares(rng, len(labels))
    title = topic.title
    with matplotlib.rc_context(_RC):
        fig, canvas = _figure(rng)
        ax = fig.add_subplot()
        ax.pie(
            shares,
            labels=labels,
            autopct=lambda p: f"{round(p)}%",
            colors=COLORS[: len(labels)],
            startangle=90,
        )
        ax.set_title(title)
        ax.axis("equal")
        img = _render(fig, canvas)
    hi = shares.index(max(shares))
    i, j = rng.sample(range(len(labels)), 2)
    pairs = {k: v for k, v in zip(labels, shares, strict=True)}
    turns = [
        *_common(title, "pie", labels[i], f"{shares[i]}%"),
        cv.multi_choice(
            rng,
            "Which slice is the largest?",
            labels[hi],
            [x for x in labels if x != labels[hi]],
            (DATA, COMPARATIVE),
        ),
        cv.short_answer(f"What percentage is {labels[i]}?", f"{shares[i]}%", (DATA,)),
        cv.yes_no(
            f"Does {labels[i]} make up more than a quarter of the total?",
            shares[i] > 25,
            (DATA, STEM),
        ),
        cv.chain_of_thought(
            f"What is the combined share of {labels[i]} and {labels[j]}?",
            (
                f"{labels[i]} is {shares[i]}%.",
                f"{labels[j]} is {shares[j]}%.",
                f"{shares[i]}% + {shares[j]}% = {shares[i] + shares[j]}%.",
            ),
            f"{shares[i] + shares[j]}%",
            (DATA, STEM),
        ),
        cv.specified(
            "Return the slices as a JSON object mapping each label to its percentage (a number).",
            cv.as_json(pairs),
            (DATA, LANGUAGE),
        ),
        cv.comparison(
            f"Compare the shares of {labels[i]} and {labels[j]}.",
            f"{labels[i]} accounts for {shares[i]}% and {labels[j]} for {shares[j]}%, so "
            + (
                f"{labels[i] if shares[i] > shares[j] else labels[j]} is larger by "
                f"{abs(shares[i] - shares[j])} points."
                if shares[i] != shares[j]
                else "they are equal."
            ),
            (COMPARATIVE, DATA),
        ),
        cv.description(
            "Briefly describe the chart.",
            f'A pie chart titled "{title}" with {number_word(len(labels))} slices; '
            f"{labels[hi]} is the "
            f"largest at {shares[hi]}%.",
            (DATA, LANGUAGE),
            False,
        ),
    ]
    truth = {"chart": "pie", "title": title, "unit": "%", "labels": labels, "values": shares}
    return Item("chart", "pie", [Picture(img)], truth=truth, turns=turns)


def scatter(rng: random.Random) -> Item:
    """A scatter plot with a clear positive or negative linear trend."""
    title, xl, yl, sign = rng.choice(SCATTER_TOPICS)
    n = rng.randint(6, 12)
    while True:
        xs = sorted(rng.sample(range(1, 21), n))
        slope = sign * rng.uniform(1.5, 3.0)
        ys = [int(round(30 + slope * x + rng.uniform(-6, 6))) for x in xs]
        r = float(np.corrcoef(xs, ys)[0, 1])
        if abs(r) > 0.7:
            break
    positive = r > 0
    with matplotlib.rc_context(_RC):
        fig, canvas = _figure(rng)
        ax = fig.add_subplot()
        ax.scatter(xs, ys, s=40, color=rng.choice(COLORS))
        ax.set_title(title)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.grid(True, alpha=0.3)
        img = _render(fig, canvas)
    kind = "positive" if positive else "negative"
    xn, yn = xl.split(" (")[0].lower(), yl.split(" (")[0].lower()
    turns = [
        *_common(title, "scatter"),
        cv.short_answer("How many points are plotted?", str(n), (DATA,)),
        cv.yes_no(
            f"Do higher values of {xn} go with higher values of {yn}?", positive, (DATA, STEM)
        ),
        cv.multi_choice(
            rng,
            "What relationship does the scatter plot show?",
            f"A {kind} correlation",
            [
                f"A {'negative' if positive else 'positive'} correlation",
                "No relationship",
                "A U-shaped relationship",
            ],
            (DATA, STEM),
        ),
        cv.specified(
            "Describe the trend in the plot in exactly three words.",
            f"{kind} linear trend",
            (DATA, LANGUAGE),
        ),
        cv.chain_of_thought(
            "Is the correlation in this plot positive or negative?",
            (
                f"Points with small {xn} values have {'low' if positive else 'high'} {yn} values.",
                f"As {xn} increases, {yn} tends to {'increase' if positive else 'decrease'}.",
            ),
            kind.capitalize(),
            (STEM, DATA, LOGIC),
        ),
        cv.description(
            "Briefly describe the chart.",
            f'A scatter plot titled "{title}" with {number_word(n)} points showing a {kind} '
            f"relationship between {xn} and {yn}.",
            (DATA, LANGUAGE),
            False,
        ),
    ]
    truth = {
        "chart": "scatter",
        "title": title,
        "x_label": xl,
        "y_label": yl,
        "points": [[x, y] for x, y in zip(xs, ys, strict=True)],
        "correlation": round(r, 3),
    }
    return Item("chart", "scatter", [Picture(img)], truth=truth, turns=turns)


BUILDERS: dict[str, Callable[[random.Random], Item]] = {
    "bar": bar,
    "line": line,
    "pie": pie,
    "scatter": scatter,
}


def build(rng: random.Random) -> Item:
    """A random chart item (bar, line, pie or scatter)."""
    return BUILDERS[rng.choice(sorted(BUILDERS))](rng)
