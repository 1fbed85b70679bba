"""Meeting minutes (議事録): transcripts in, speaker turns out, and the offline and LLM drafting that build on them.

transcripts/captions/transcribe read the inputs into turns; segment, extract, qa and patterns find agenda
sections, decisions, actions and question-answer pairs; offline and llm draft the minutes; mapreduce and
map_cache split whole-day meetings for a model's context window.
"""
