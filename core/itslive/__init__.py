"""ITS_LIVE glacier velocity: datacube access, glacier masks, inversion pipeline and NetCDF output."""
