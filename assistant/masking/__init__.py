"""Personal-data masking for text that leaves the organisation, and restoring it in the answer.

Identifiers (マイナンバー, 法人番号, e-mail, phone, postal code), Japanese personal names and street
addresses are found on a normalised view of the text (detection view: NFKC, zero-width and bidi controls
removed, kanji digits folded) and replaced in the text as written by placeholders (`［氏名1］`).
"""

from assistant.masking.detect import KIND_LABELS, Detector, Found, find_personal_data
from assistant.masking.identifiers import corporate_number_is_valid, my_number_is_valid
from assistant.masking.masker import Masker, StreamRestorer, detector_from_settings

__all__ = [
    "KIND_LABELS",
    "Detector",
    "Found",
    "Masker",
    "StreamRestorer",
    "corporate_number_is_valid",
    "detector_from_settings",
    "find_personal_data",
    "my_number_is_valid",
]
