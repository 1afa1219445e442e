"""The product catalogue, orders and their lines, exchange rates, purchase history."""
