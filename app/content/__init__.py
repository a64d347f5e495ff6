"""Question packs: the schema, the loader and the validate command."""

from app.content.errors import ContentError, PackValidationError
from app.content.loader import QuestionBank, load_bank, parse_pack
from app.content.models import (
    BAND_CUTS,
    Band,
    Competency,
    ContextFact,
    Criterion,
    Cue,
    Curveball,
    CurveballKind,
    Exemplar,
    Level,
    Pack,
    Quality,
    Question,
    QuestionType,
    band_for,
    overall_score,
)

__all__ = [
    "BAND_CUTS", "Band", "Competency", "ContentError", "ContextFact", "Criterion", "Cue", "Curveball",
    "CurveballKind", "Exemplar", "Level",
    "Pack", "PackValidationError", "Quality", "Question", "QuestionBank", "QuestionType", "band_for",
    "load_bank", "overall_score", "parse_pack",
]
