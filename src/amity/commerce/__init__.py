"""The product catalogue, orders and their lines, exchange rates, purchase history.

Writes: ``catalogue`` (products), ``service`` (orders: ``place_order``, ``update_order``,
``delete_order``, ``restore_order``, ``import_orders``, ``create_order_from_deal``), ``rates``
(``create_rate``, ``delete_rate``). Reads: ``queries`` (``list_products``, ``list_orders``,
``replacements_due``, ``order_scope``), ``history`` (``purchase_summary``), ``rates``
(``convert``, ``rates_on``, ``list_rates``). Arithmetic: ``pricing``.
"""
