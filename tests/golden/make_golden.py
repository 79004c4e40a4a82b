"""Write the golden outputs once: ``.venv/bin/python tests/golden/make_golden.py``.

Two small fitted posteriors (a national series and a 3-geo panel with a control) are saved as
netCDF next to this file, and every public answer computed from them (ROAS, marginal ROAS,
contributions, baseline, predictions, a move, a shift, response curves and a budget plan) is
saved as JSON. ``tests/test_golden.py`` reloads the draws with :meth:`MMM.from_posterior`
(no sampling, so no dependence on the compile cache) and checks that today's code gives the
same numbers: a refactor that changes an answer fails there.

Re-run only when an answer is *meant* to change, and say why in the commit.
"""

from __future__ import annotations

import json
import pathlib
import sys
import warnings

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from golden_cases import CASES, answers  # noqa: E402

import mmmkit as mk  # noqa: E402


def main() -> None:
    expected = {}
    for name, case in CASES.items():
        df, model = case()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(df, draws=60, tune=200, chains=2, seed=11, progress=False)
        posterior = model.idata.posterior
        posterior.to_netcdf(HERE / f"{name}_posterior.nc")
        fresh = case()[1].from_posterior(df, posterior, seed=0)
        expected[name] = answers(fresh, df)
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True))
    print("wrote", sorted(expected), mk.__version__)


if __name__ == "__main__":
    main()
