"""Emotion scoring: prosody against the caller's own baseline, words, an optional model.

``analyze.Analyzer`` gathers the evidence of one utterance in a recognition worker;
``score.CallEmotion`` turns it into a score, a label, a rolling call score and a
sharp-rise event, on the event loop (pure, no I/O).
"""
