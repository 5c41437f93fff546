"""Quartierslotse: a Telegram navigator to local help in Hagen-Mitte."""
