"""Well-known names of the field that ASR mishears: labs, models, chips, tools, people.

The glossary pass reads them as ``lexicon`` terms (:mod:`castline.clean.glossary`):
weaker evidence than a show's glossary, so a name here repairs only a heard form
that is no English word ("Tranium" -> "Trainium"), or a capitalised real name
("Gwen" -> "Gwern") beside another known name ("Gwen and Kapathi"). Names whose
plain spelling is an everyday word ("Cursor", "Gemini", "Hopper") are left out:
their mishearings are real words, and the show's glossary is the place for them.
"""

from __future__ import annotations

__all__ = ["FIELD_NAMES"]

FIELD_NAMES: tuple[str, ...] = (
    # labs and companies
    "Anthropic", "OpenAI", "DeepMind", "DeepSeek", "Nvidia", "Hugging Face", "Cerebras", "Groq",
    "Databricks", "Cohere", "Mistral", "xAI", "Midjourney", "Replit", "Vercel", "Supabase", "Anyscale",
    # models and products
    "Qwen", "ChatGPT", "Claude", "Llama", "Grok", "AlphaGo", "AlphaZero", "AlphaFold", "MuZero", "Copilot",
    "Gemma", "Mixtral",
    # chips and clouds
    "Trainium", "Inferentia", "TPU", "CUDA", "SageMaker", "Kubernetes",
    # libraries and tools
    "PyTorch", "TensorFlow", "NumPy", "GitHub", "GitLab", "Jupyter", "LangChain",
    # people
    "Andrej Karpathy", "Karpathy", "Geoffrey Hinton", "Hinton", "Yoshua Bengio", "Bengio",
    "Yann LeCun", "LeCun", "Ilya Sutskever", "Sutskever", "Sam Altman", "Dario Amodei", "Amodei",
    "Demis Hassabis", "Hassabis", "François Chollet", "Chollet", "Jürgen Schmidhuber",
    "Schmidhuber", "Noam Shazeer", "Shazeer", "Gwern",
)
