"""The provider registers under its id with every algorithm in the EGMS / ITS_LIVE groups."""

from qgis.core import QgsApplication

EXPECTED = {
    "egms_l3_ortho": "egms",
    "itslive_invert": "its_live",
    "itslive_find_cubes": "its_live",
    "itslive_point_series": "its_live",
    "itslive_gp_regression": "its_live",
    "itslive_centerline_profile": "its_live",
    "itslive_glacier_profile": "its_live",  # the shipped model (resources/models)
}


def test_provider_registered(provider):
    registered = QgsApplication.processingRegistry().providerById("surfacemotion")
    assert registered is not None
    assert registered.name() == "Surface Motion"
    assert not registered.icon().isNull()


def test_algorithms_have_group_icon_help(provider):
    algs = {a.name(): a for a in provider.algorithms()}
    for name, alg in algs.items():
        assert name in EXPECTED, f"unexpected algorithm {name}"
        assert alg.groupId() == EXPECTED[name]
        assert alg.group() in ("EGMS", "ITS_LIVE")
        assert not alg.icon().isNull(), f"{name} has no icon"
        assert alg.svgIconPath().endswith(".svg"), f"{name}: the modeler shows no icon"
        assert alg.shortHelpString(), f"{name} has no help"
        assert alg.id() == f"surfacemotion:{name}"


def test_second_plugin_instance_does_not_break_the_first(provider):
    import surface_motion

    plugin = surface_motion.classFactory(None)
    plugin.initProcessing()  # duplicate id: refused by the registry
    assert plugin.provider is None
    plugin.unload()
    assert QgsApplication.processingRegistry().providerById("surfacemotion") is provider
