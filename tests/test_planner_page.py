"""mmmkit.planner_page: how the planner page packs its curves and what its document allows.

The page's behaviour in a browser is tested in ``test_planner.py``; here: the 16-bit packing
round trip, the JSON data block, the Content-Security-Policy hashes and the escaping of text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import numpy as np
import pytest

import mmmkit as mk
from mmmkit import planner
from mmmkit.planner_page import (
    CODE_MAX,
    PAGE_CSS,
    PAGE_SCRIPT,
    content_security_policy,
    decode_curves,
    encode_curves,
    page_json,
    render_page,
)
from mmmkit.report_text import CSS
from truth import model_from_truth

DATA_BLOCK = re.compile(r"<script type='application/json' id='planner-data'>(.*?)</script>",
                        re.S)


@pytest.fixture(scope="module")
def payload(tmp_path_factory):
    """A real page's payload (a small known-truth model with jittered draws)."""
    sim = mk.simulate.simulate(n_geos=1, n_weeks=60, n_channels=2, seed=3)
    model = model_from_truth(sim, chains=1, draws=20, jitter=0.1)
    path = planner.write_planner(model, tmp_path_factory.mktemp("page") / "p.html",
                                 budgets=())
    return json.loads(DATA_BLOCK.search(path.read_text(encoding="utf-8")).group(1))


def test_curves_round_trip_within_one_code():
    rng = np.random.default_rng(0)
    lift = rng.gamma(2.0, 1e4, (7, 12)).cumsum(axis=1)
    lift[3] = 0.0  # a draw without effect: scale 0, codes 0
    lift[4] *= -1  # a negative effect
    slope = rng.normal(0, 5e3, (7, 12))
    slope0 = np.r_[np.inf, rng.gamma(2.0, 1e3, 6)]
    entry = encode_curves(lift, slope, slope0)
    got_lift, got_slope, got_slope0 = decode_curves(entry, 7)
    for x, got in ((lift, got_lift), (slope, got_slope)):
        scale = np.abs(x).max(axis=1, keepdims=True)
        assert np.all(np.abs(got - x) <= scale / CODE_MAX)
    assert np.all(got_lift[3] == 0)
    assert got_slope0[0] == np.inf
    np.testing.assert_allclose(got_slope0[1:], slope0[1:], rtol=1e-7)
    # 2 bytes per number, base64
    assert len(base64.b64decode(entry["lift"])) == 2 * lift.size


def test_encode_checks_its_input():
    good = np.ones((2, 3))
    with pytest.raises(ValueError, match="finite"):
        encode_curves(np.array([[1.0, np.nan, 2.0]] * 2), good, np.zeros(2))
    with pytest.raises(ValueError, match=r"\(S, K\)"):
        encode_curves(good, np.ones((2, 4)), np.zeros(2))


def test_data_block_cannot_close_itself():
    text = page_json({"name": "</script><script>alert(1)</script>"})
    assert "<" not in text and json.loads(text)["name"].startswith("</script>")
    with pytest.raises(ValueError):
        page_json({"x": float("nan")})


def test_the_policy_allows_only_the_pages_own_script_and_style(payload):
    page = render_page(payload)
    csp = re.search(r"http-equiv='Content-Security-Policy' content=\"([^\"]*)\"", page).group(1)
    assert csp == content_security_policy(PAGE_SCRIPT, CSS + PAGE_CSS)
    script = re.findall(r"<script>(.*?)</script>", page, re.S)
    style = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert script == [PAGE_SCRIPT] and style == [CSS + PAGE_CSS]
    for text, directive in ((script[0], "script-src"), (style[0], "style-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp
    assert csp.startswith("default-src 'none';") and "unsafe" not in csp
    assert " style=" not in page  # inline style attributes would need 'unsafe-inline'


def test_text_is_escaped(payload):
    odd = dict(payload, title="Plan <b>&</b>", glossary=[["<i>term</i>", "a < b"]])
    odd["channels"] = [dict(payload["channels"][0], name="</script>tv")]
    page = render_page(odd)
    assert "<title>Plan &lt;b&gt;&amp;&lt;/b&gt;</title>" in page
    assert "<dt>&lt;i&gt;term&lt;/i&gt;</dt><dd>a &lt; b</dd>" in page
    data = json.loads(DATA_BLOCK.search(page).group(1))
    assert data["channels"][0]["name"] == "</script>tv"
    # the script puts every text in with textContent, never as HTML
    assert "innerHTML" not in PAGE_SCRIPT and "insertAdjacentHTML" not in PAGE_SCRIPT


def test_the_payload_has_what_the_script_reads(payload):
    for key in ("draws", "multipliers", "channels", "plans", "currency", "words", "prob",
                "level"):
        assert key in payload
    for word in re.findall(r"W\.(\w+)", PAGE_SCRIPT):
        assert word in payload["words"], word
    channel = payload["channels"][0]
    for key in re.findall(r"\bch\.(\w+)", PAGE_SCRIPT):
        assert key in channel, key
    lift, slope, slope0 = decode_curves(channel, payload["draws"])
    assert lift.shape == slope.shape == (payload["draws"], len(payload["multipliers"]))
    assert slope0.shape == (payload["draws"],)
