"""README screenshots taken by the browser tours themselves.

A tour asks for a screenshot with two steps (see ``screenshot()`` in the tour
files): it logs ``crm_review_screenshot:<name>`` on the console, then waits
until ``<body data-crm-review-screenshot="<name>">``. The test answers through
Chrome DevTools: it captures the page (``Page.captureScreenshot``) when
``CRM_REVIEW_SCREENSHOTS=1``, writes ``crm_review/static/description/<name>.png``,
then sets the attribute. Without the variable it only sets the attribute, so
the tours run the same way in CI and no binary file is rewritten.
"""

import base64
import io
import json
import logging
import os
import pathlib
from unittest.mock import patch

from PIL import Image

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)

SIGNAL = "crm_review_screenshot:"
DIRECTORY = pathlib.Path(__file__).resolve().parent.parent / "static" / "description"
# Enough for a screen of the web client, and a few times smaller than a true-colour PNG.
PALETTE_COLORS = 128


def screenshots_enabled():
    return os.environ.get("CRM_REVIEW_SCREENSHOTS") == "1"


def save_screenshot(name, png):
    """Write a reduced-palette, optimised PNG: README images stay small in the repository."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(colors=PALETTE_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    path = DIRECTORY / f"{name}.png"
    image.save(path, format="PNG", optimize=True)
    _logger.info("README screenshot written: %s", path)


def _answer(browser, name):
    """Let the tour go on: it waits for this attribute."""
    browser._websocket_send(
        "Runtime.evaluate",
        params={"expression": f"document.body.dataset.crmReviewScreenshot = {json.dumps(name)}"},
    )


def _take(browser, name):
    if not screenshots_enabled():
        _answer(browser, name)
        return
    future = browser._websocket_send("Page.captureScreenshot", params={"format": "png"}, with_future=True)

    def done(future):
        try:
            save_screenshot(name, base64.b64decode(future.result()["data"]))
        finally:
            _answer(browser, name)

    future.add_done_callback(done)


_handle_console = ChromeBrowser._handle_console


def _handle_console_with_screenshots(browser, type, args=None, stackTrace=None, **kw):  # DevTools names the arguments
    _handle_console(browser, type, args=args, stackTrace=stackTrace, **kw)
    if type == "log" and args and len(args) == 1:
        message = browser._from_remoteobject(args[0])
        if isinstance(message, str) and message.startswith(SIGNAL):
            _take(browser, message[len(SIGNAL) :])


class TourScreenshotsMixin:
    """For ``HttpCase`` classes whose tours take README screenshots."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The browser binds its console handler when it starts: patch the class.
        cls.startClassPatcher(patch.object(ChromeBrowser, "_handle_console", _handle_console_with_screenshots))
