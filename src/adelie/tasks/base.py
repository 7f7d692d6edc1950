"""What every task shares: the prompt instance, parsed answers, F1 counts, and the task interface.

A task turns an `Example` into `Instance`s (one prompt's worth each), renders instructions and gold answers
in several formats, parses model answers back to items, and scores them. Items are tuples of strings in the
task's field order (NER: (entity, type); triples: (head, relation, tail)); label strings in items are the
readable names offered in the prompt. One parser and one scorer per task, shared by every stage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from adelie.errors import AdelieError
from adelie.schema import Example, Table, Task

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec

Format = Literal["canonical", "json", "natural"]
FORMATS: tuple[Format, ...] = ("canonical", "json", "natural")
Item = tuple[str, ...]
TemplateSplit = Literal["train", "eval"]


@dataclass(frozen=True)
class Template:
    """An instruction template with `{slot}` placeholders (see `IETask.slots`)."""

    id: str  # e.g. "ner/train/03"
    text: str


@dataclass(frozen=True)
class Instance:
    """One prompt's worth of a task: the text, what the prompt gives, the options offered, the gold answer.

    `labels` are the readable names offered as options, in prompt order. `query` holds what the prompt
    gives besides the text: head/tail (relation classification), trigger/event_type/roles (arguments),
    head/tail triggers (event relations), instruction (on-demand). `gold` is the gold answer as items;
    on-demand IE keeps its gold in `table`.
    """

    task: Task
    dataset: str
    example_id: str
    text: str
    gold: tuple[Item, ...] = ()
    labels: tuple[str, ...] = ()
    query: Mapping[str, str] = field(default_factory=dict)
    table: Table | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Parsed:
    """A model answer read back: its items, whether it could be read at all, the format it was in, and the
    explanation text when the answer had one. Unparseable output has ok=False and no items."""

    items: tuple[Item, ...] = ()
    ok: bool = True
    format: Format | None = None
    explanation: str | None = None
    table: Table | None = None


@dataclass(frozen=True)
class Counts:
    """Micro-F1 counts, added up across instances. `tp_pred` is the credit earned by predicted items
    (precision numerator), `tp_gold` the credit earned by gold items (recall numerator). Strict matching
    gives both the same value; CaRB-style partial matching gives them different ones."""

    tp_pred: float = 0.0
    pred: float = 0.0
    tp_gold: float = 0.0
    gold: float = 0.0

    @classmethod
    def strict(cls, tp: float, pred: float, gold: float) -> Counts:
        """Counts where one true positive credits both precision and recall."""
        return cls(tp, pred, tp, gold)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.tp_pred + other.tp_pred, self.pred + other.pred, self.tp_gold + other.tp_gold, self.gold + other.gold
        )

    @property
    def precision(self) -> float:
        return self.tp_pred / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp_gold / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def instance_score(counts: Counts) -> float:
    """The score of one instance, for ranking samples: 1.0 when gold and prediction are both empty (nothing
    to find and nothing claimed), else the F1 of `counts`."""
    if counts.gold == 0 and counts.pred == 0:
        return 1.0
    return counts.f1


class TaskError(AdelieError):
    """A task was asked for something it cannot do (the subclasses say what)."""


class UnknownTaskError(TaskError):
    """A task name that adelie does not know."""


class LabelMapError(TaskError):
    """An example uses a label that the label map passed to `instances` does not hold, or a task that
    needs a label map got none."""


class TemplateError(TaskError):
    """A template file is missing or malformed, or a template uses a slot its task does not fill."""


class IETask(ABC):
    """The interface of a task module. Subclasses set `task`, `fields` and `slots`."""

    task: ClassVar[Task]
    fields: ClassVar[tuple[str, ...]]  # item field names in order, e.g. ("entity", "type")
    slots: ClassVar[tuple[str, ...]]  # template slots this task fills, e.g. ("text", "labels", "no_answer")

    @abstractmethod
    def instances(self, example: Example, labels: Mapping[str, str]) -> list[Instance]:
        """The instances of `example`. `labels` maps the dataset's raw labels to readable names."""

    @abstractmethod
    def templates(self, split: TemplateSplit) -> Sequence[Template]:
        """Training templates, or the evaluation-only ones (never used in training)."""

    @abstractmethod
    def render_prompt(self, inst: Instance, template: Template, fmt: Format, no_answer: str = "NA") -> str:
        """The user turn: the template filled from `inst`, followed by the output-format instruction."""

    @abstractmethod
    def render_answer(
        self, inst: Instance, fmt: Format, explanation: str | None = None, no_answer: str = "NA"
    ) -> str:
        """The gold answer of `inst` in `fmt`, preceded by `[Explanation]: ...` when given."""

    @abstractmethod
    def parse(self, text: str, inst: Instance | None = None) -> Parsed:
        """Read a model answer in any format; never raises. Unreadable text gives Parsed(ok=False)."""

    @abstractmethod
    def score(self, pred: Parsed, inst: Instance) -> Counts:
        """Counts of `pred` against `inst`'s gold (exact semantics documented per task)."""

    def answer_grammar(
        self, inst: Instance, fmt: Format, no_answer: str = "NA", explanation: bool = False
    ) -> str | None:
        """The grammar (GBNF, see `adelie.tasks.grammar`) of every well-formed answer to `inst` in `fmt`:
        options from `inst.labels`, spans copied from `inst.text`; an `[Explanation]:` line first when
        `explanation`. None when answers in `fmt` stay free (natural-language sentences)."""
        return None

    def item_spans(self, item: Item) -> tuple[str, ...]:
        """The fields of `item` that should be copied from the text (entities, heads, triggers, arguments)."""
        return ()

    def item_labels(self, item: Item) -> tuple[str, ...]:
        """The fields of `item` that should be one of the offered labels."""
        return ()

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """The instances of `example`, with label maps (and options such as the no-relation label) taken
        from the dataset's registry entry."""
        return self.instances(example, {})
