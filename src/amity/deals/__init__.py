"""Sales pipelines, their stages, deals moving through them, stage history, forecasts."""
