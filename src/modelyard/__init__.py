"""Modelyard: a self-hostable, OpenRouter-style LLM gateway and model marketplace."""

__version__ = "0.1.0"
