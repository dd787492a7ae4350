"""Looking parcels up: public documents, the rendered-document cache, live streams."""
