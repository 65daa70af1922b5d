import numpy as np
import pytest
from pydantic import ValidationError

from mmcurate.ops.base import DatasetView, OpContext
from mmcurate.sample import Message, Sample, to_dataset
from mmcurate.selectors.budget import Budget, BudgetPlan, resolve_budget, token_costs


@pytest.mark.parametrize(
    ("raw", "kind", "value", "short"),
    [
        (1000, "count", 1000, 1000),
        ("1000", "count", 1000, 1000),
        ("10k", "count", 10_000, 10_000),
        ("1.5M rows", "count", 1_500_000, 1_500_000),
        ("30%", "ratio", 0.3, "30%"),
        ("12.5 %", "ratio", 0.125, "12.5%"),
        (0.3, "ratio", 0.3, "30%"),
        ("0.3", "ratio", 0.3, "30%"),
        (1.0, "ratio", 1.0, "100%"),
        (2000.0, "count", 2000, 2000),
        ("2M tokens", "tokens", 2_000_000, "2000000 tokens"),
        ("500k tok", "tokens", 500_000, "500000 tokens"),
        ("1234 tokens", "tokens", 1234, "1234 tokens"),
        (0, "count", 0, 0),
    ],
)
def test_budget_forms_parse_and_round_trip(raw, kind, value, short):
    b = Budget.model_validate(raw)
    assert b.kind == kind and b.value == pytest.approx(value)
    assert b.short() == short
    assert Budget.model_validate(b.short()) == b  # what recipes store re-parses to the same


@pytest.mark.parametrize(
    "raw", [-1, "abc", "150%", "0%", "2.5", 1.5, "1.5 rows", "10k%", True, "3 bananas"]
)
def test_bad_budgets_say_which_forms_are_valid(raw):
    with pytest.raises(ValidationError):
        Budget.model_validate(raw)


def test_ratio_floors_and_count_resolves():
    v = DatasetView(to_dataset([Sample(id=str(i)) for i in range(7)]), OpContext())
    assert resolve_budget(Budget.model_validate("50%"), v).limit == 3
    assert resolve_budget(Budget.model_validate(4), v).limit == 4
    assert resolve_budget(Budget.model_validate(9), v).covers_pool()


def test_token_costs_chars_over_4_plus_declared_media_costs():
    s = [
        Sample(
            id="a",
            images=["x.png", "y.png"],
            messages=[
                Message(role="user", content="<image>\n<image>\n" + "x" * 10),
                Message(role="assistant", content="y" * 7),
            ],
        ),
        Sample(id="b", videos=["v.mp4"], messages=[Message(role="user", content="<video>")]),
        Sample(id="c"),
    ]
    v = DatasetView(to_dataset(s), OpContext())
    costs = token_costs(v, image_tokens=100, video_tokens=1000)
    # a: ceil(17 / 4) = 5 text tokens + 2 images; b: no text + 1 video; c: at least 1
    assert costs.tolist() == [205, 1000, 1]


def test_prefix_stops_at_the_first_row_that_does_not_fit():
    plan = BudgetPlan(Budget.model_validate("10 tokens"), 4, 10, np.array([4, 5, 2, 1]))
    assert plan.prefix(np.array([0, 1, 2, 3])).tolist() == [0, 1]
    assert plan.prefix(np.array([2, 3, 0, 1])).tolist() == [2, 3, 0]
    count = BudgetPlan(Budget.model_validate(2), 4, 2)
    assert count.prefix(np.array([3, 1, 2])).tolist() == [3, 1]


def test_a_named_tokenizer_counts_text_tokens_exactly(tiny_vlm):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_vlm))
    s = [
        Sample(
            id="a",
            images=["x.png"],
            messages=[
                Message(role="user", content="<image>\nWhat colour is the box?"),
                Message(role="assistant", content="It is red."),
            ],
        ),
        Sample(id="b", messages=[Message(role="user", content="hello there")]),
    ]
    v = DatasetView(to_dataset(s), OpContext())
    costs = token_costs(v, image_tokens=10, tokenizer=str(tiny_vlm))
    texts = ["What colour is the box?\nIt is red.", "hello there"]
    want = [len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts]
    assert costs.tolist() == [want[0] + 10, want[1]]
