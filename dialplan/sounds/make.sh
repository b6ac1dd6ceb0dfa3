#!/usr/bin/env bash
# Regenerates the simulated parties' audio (8 kHz mono 16-bit WAV) with espeak-ng + sox.
# Mandarin uses the pinyin voice, which Vosk's small Chinese model recognises well.
set -euo pipefail
cd "$(dirname "$0")"
say() { # name voice text [espeak args...]
  local name=$1 voice=$2 text=$3; shift 3
  espeak-ng -v "$voice" "$@" -w "/tmp/$name.raw.wav" "$text"
  sox -q "/tmp/$name.raw.wav" -r 8000 -c 1 -b 16 "$name.wav"
  rm -f "/tmp/$name.raw.wav"
}
say zh-weinihao cmn-latn-pinyin "wei2, ni3 hao3"
say zh-jishu-zhichi cmn-latn-pinyin "ji4 shu4 zhi1 chi2"
say zh-zhangdan cmn-latn-pinyin "zhang4 dan1"
say zh-rengong-fuwu cmn-latn-pinyin "ren2 gong1 fu2 wu4"
say en-hello en "Hello?"
say en-technical-support en "technical support"
say en-billing en "billing"
say machine-greeting en "Hello, you have reached the Wang family. We cannot take your call right now. Please leave a message after the tone." -s 160
sox -q -n -r 8000 -c 1 -b 16 beep.wav synth 0.5 sine 1000 vol 0.5
