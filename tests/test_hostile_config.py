"""The hardened server config that ships in the repo (issue 15 §5): Streamlit reads it from the project
folder and takes every option in it; the browser test checks that an exception shows no stack trace."""

from __future__ import annotations

from pathlib import Path

import streamlit.config
import tomllib  # Python 3.11+, as the app's image

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def read() -> dict:
    with open(CONFIG, "rb") as f:
        return tomllib.load(f)


def test_the_config_hides_errors_and_bounds_messages_and_uploads():
    c = read()
    assert c["client"]["showErrorDetails"] == "none"  # no type, message or stack trace in the browser
    assert c["client"]["toolbarMode"] == "viewer"
    assert c["browser"]["gatherUsageStats"] is False
    assert c["server"]["enableXsrfProtection"] is True
    assert 1 <= c["server"]["maxUploadSize"] <= 16  # MB: small .safetensors files, not Streamlit's 200
    assert 1 <= c["server"]["maxMessageSize"] <= 16  # MB, not Streamlit's 200


def test_streamlit_knows_every_option_and_reads_the_file(monkeypatch):
    options = streamlit.config.get_config_options()  # every option this Streamlit version accepts
    for section, values in read().items():
        for key in values:
            assert f"{section}.{key}" in options, f"{section}.{key}"
    monkeypatch.chdir(CONFIG.parents[1])  # Streamlit reads .streamlit/config.toml from where it runs
    try:
        streamlit.config.get_config_options(force_reparse=True)
        assert streamlit.config.get_option("client.showErrorDetails") == "none"
        assert streamlit.config.get_option("server.maxUploadSize") == read()["server"]["maxUploadSize"]
        assert streamlit.config.get_option("server.enableXsrfProtection") is True
    finally:
        monkeypatch.undo()
        streamlit.config.get_config_options(force_reparse=True)
