# AI code tracking analytics: models arrive with the sync.
