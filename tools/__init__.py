"""Command-line entry points of bss2emu (one module per subcommand)."""
