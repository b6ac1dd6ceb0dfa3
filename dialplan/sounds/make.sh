#!/usr/bin/env bash
# Regenerates the simulated parties' audio (8 kHz mono 16-bit WAV) with espeak-ng + sox.
# Mandarin uses the pinyin voice, which Vosk's small Chinese model recognises well.
# sox dithers, so a rerun changes every file's bytes a little: regenerate only the
# files you mean to change (pass their names), e.g. `make.sh machine-greeting`.
set -euo pipefail
cd "$(dirname "$0")"
wanted=" $* "
say() { # name voice text [espeak args...]
  local name=$1 voice=$2 text=$3; shift 3
  if [ "$wanted" != "  " ] && [[ $wanted != *" $name "* ]]; then return; fi
  espeak-ng -v "$voice" "$@" -w "/tmp/$name.raw.wav" "$text"
  # shellcheck disable=SC2086  # $TRIM holds several sox effect words
  sox -q "/tmp/$name.raw.wav" -r 8000 -c 1 -b 16 "$name.wav" ${TRIM:-}
  rm -f "/tmp/$name.raw.wav"
}
say zh-weinihao cmn-latn-pinyin "wei2, ni3 hao3"
say zh-jishu-zhichi cmn-latn-pinyin "ji4 shu4 zhi1 chi2"
say zh-zhangdan cmn-latn-pinyin "zhang4 dan1"
say zh-rengong-fuwu cmn-latn-pinyin "ren2 gong1 fu2 wu4"
say en-hello en "Hello?"
say en-technical-support en "technical support"
say en-billing en "billing"
# About 6 s of continuous speech (trailing silence cut, under 100 KB): long enough
# for AMD to call it a machine; the dialplan plays tenure/beep after it.
TRIM="reverse silence 1 0.05 0.5% reverse" say machine-greeting en \
  "Hello, you have reached the Wang family. We cannot take your call right now. Please leave a message after the tone." -s 182
if [ "$wanted" = "  " ] || [[ $wanted == *" beep "* ]]; then
  sox -q -n -r 8000 -c 1 -b 16 beep.wav synth 0.5 sine 1000 vol 0.5
fi
