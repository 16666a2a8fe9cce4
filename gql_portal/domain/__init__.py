"""Pure domain rules (no I/O): Swedish identity numbers, money, VAT, periods."""
