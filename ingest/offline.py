"""Offline switches: nothing in shegong-bot may reach the internet at run time."""

from __future__ import annotations

import os

_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",
}


def go_offline() -> None:
    """Set every library's offline and no-telemetry switch; call before loading a library."""
    for name, value in _SWITCHES.items():
        os.environ[name] = value
