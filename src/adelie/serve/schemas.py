"""The service's request and response bodies (pydantic): what /v1/extract accepts and returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from adelie.errors import AdelieError
from adelie.serve.options import FORMS, LIST_OPTIONS, TEXT_OPTIONS, check_options


def _invalid(message: str) -> PydanticCustomError:
    # The message goes in as context, not as the template, so braces in user labels are not read as fields.
    return PydanticCustomError("invalid_request", "{message}", {"message": message})


_EXAMPLE = {"task": "ner", "text": "Marie Curie worked in Paris.", "labels": ["person", "location"]}


class ExtractRequest(BaseModel):
    """One text (`text`) or several (`texts`), a task, and the options that task takes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    task: str = Field(description="What to extract.", json_schema_extra={"enum": list(FORMS)})
    text: str | None = Field(None, description="One text (give exactly one of text and texts).")
    texts: list[str] | None = Field(None, description="Several texts, one result each.")
    labels: list[str] | None = Field(None, description="ner: entity types.")
    relation_labels: list[str] | None = Field(None, description="relations: relation types.")
    entity_labels: list[str] | None = Field(None, description="relations (optional): entity types.")
    event_types: list[str] | None = Field(None, description="events: event types.")
    trigger: str | None = Field(None, description="arguments: the trigger word(s) in the text.")
    roles: list[str] | dict[str, list[str]] | None = Field(
        None, description="arguments: argument roles; events (optional): roles for every type, or per event type."
    )
    event_type: str | None = Field(None, description="arguments (optional): the trigger's event type.")
    instruction: str | None = Field(None, description="table: what table to build.")

    @model_validator(mode="after")
    def _check(self) -> ExtractRequest:
        if (self.text is None) == (self.texts is None):
            raise _invalid("give exactly one of text and texts")
        if self.texts is not None and not self.texts:
            raise _invalid("texts is empty: give at least one text")
        try:
            self.options()
        except AdelieError as exc:
            raise _invalid(str(exc)) from None
        return self

    def options(self) -> dict[str, Any]:
        """The task's options, normalised (see adelie.serve.options.check_options)."""
        return check_options(self.task, {name: getattr(self, name) for name in LIST_OPTIONS + TEXT_OPTIONS})

    def all_texts(self) -> list[str]:
        """The texts to extract from, in order."""
        return [self.text] if self.text is not None else list(self.texts or [])


class ExtractResponse(BaseModel):
    """One result per input text (the Extractor's result dicts), the model that made them, and the time taken."""

    results: list[dict[str, Any]]
    model: str
    took_ms: float


class Health(BaseModel):
    """The service is up; how many requests are waiting for the model."""

    status: str
    model: str
    pending: int
