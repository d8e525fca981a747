"""Corpora: labeled plate images, their manifests, importers, validation and the synthetic default."""

from harness.corpus.model import Corpus, CorpusError, Plate, Problem, Sample

__all__ = ["Corpus", "CorpusError", "Plate", "Problem", "Sample"]
