"""AI input normalisation, prompt-injection heuristics and the output filter.

Every place customer text meets the AI goes through the pipeline, whose first step is the input
guard and whose last steps are the output filter; the optional LLM only ever sees customer text
inside delimiters, as data (hybridcx.knowledge.engine.llm)."""
