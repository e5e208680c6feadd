"""qgis_process sees the plugin's provider and its algorithms."""

import json


def test_provider_listed(qgis_process):
    proc = qgis_process.raw(["--json", "list"])
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout[proc.stdout.find("{") :])
    providers = listing["providers"]
    assert "surfacemotion" in providers, sorted(providers)
    algs = providers["surfacemotion"]["algorithms"]
    assert all(name.startswith("surfacemotion:") for name in algs)
