"""Register word layouts of the HICANN-X v3 configuration containers, one module per circuit,
as haldls/halco encode them (../shared/reference/haldls-layouts.md). Fields listed from bit 0."""
