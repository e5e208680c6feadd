"""ITS_LIVE data in and out: datacubes (zarr, local or S3 with retries), the catalog of cubes, glacier
masks on the cube grid, the inversion NetCDF and its pixel mesh. Public names load their module on
first use (see :mod:`...lazy`)."""

from ...lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "cube": ("Cube", "open_cube", "read_window", "layer_table", "decode_times"),
        "s3": ("normalise_url", "is_remote", "s3_storage_options", "open_store", "ResilientStore"),
        "catalog": ("load_catalog", "find_cubes", "cubes_under", "fetch_catalog", "write_local_catalog"),
        "mask": ("GlacierGrid", "rasterise_glaciers", "common_epsg"),
        "netcdf": ("VELOCITY_VARIABLES", "write_netcdf", "speed_and_error"),
        "pixel_mesh": ("write_pixel_mesh", "pixel_mesh_path"),
    },
)
