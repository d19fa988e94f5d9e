#!/usr/bin/env python3
"""Small tokenizers of each encoder family, saved as the family's fast tokenizer saves them.

Usage: make_family_tokenizers.py OUT_DIR CSV...
Writes OUT_DIR/<family>/ (tokenizer.json, tokenizer_config.json, ...) for
  roberta       byte-level BPE (ByteLevelBPETokenizer), saved by RobertaTokenizerFast
  modernbert    byte-level BPE with NFC and the [CLS] $A [SEP] template, as ModernBERT's
                PreTrainedTokenizerFast
  xlm-roberta   sentencepiece Unigram model converted by XLMRobertaTokenizerFast (Precompiled
                charsmap normalizer, Metaspace, <s> A </s></s> B </s>)
  deberta-v2    sentencepiece Unigram model converted by DebertaV2TokenizerFast (Strip,
                Precompiled, Metaspace, [CLS] A [SEP] B [SEP] with type ids 0/1)
  xlm-roberta-hf  Unigram trained by the tokenizers library (SentencePieceUnigramTokenizer:
                Nmt + NFKC + Replace normalizers), saved by XLMRobertaTokenizerFast with the
                XLM-R template set by hand (a tokenizer_object brings no post-processor)
  distilbert, electra  WordPiece (BertWordPieceTokenizer), saved by their fast classes
Training texts: the `text` column of the CSVs plus EXTRA below, so that the vocabularies know
some accented, CJK and emoji pieces. Vocabularies are small (2000) so that this takes seconds.
"""
import csv
import json
import os
import sys
import tempfile

for _var in ("USE_TORCH", "USE_TF", "USE_FLAX"):
    os.environ.setdefault(_var, "0")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import sentencepiece as spm  # noqa: E402
from tokenizers import (  # noqa: E402
    ByteLevelBPETokenizer,
    SentencePieceUnigramTokenizer,
    BertWordPieceTokenizer,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import (  # noqa: E402
    DebertaV2TokenizerFast,
    DistilBertTokenizerFast,
    ElectraTokenizerFast,
    PreTrainedTokenizerFast,
    RobertaTokenizerFast,
    XLMRobertaTokenizerFast,
)

VOCAB = 2000
EXTRA = [
    "café naïve résumé Ångström façade São Paulo Zürich",
    "東京は日本の首都です。北京欢迎你。서울은 한국의 수도입니다.",
    "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇩🇪",
    "العربية لغة جميلة שלום עולם",
    "ΑΒΓ αβγ Σίσυφος Привет мир",
    "ﬁ ﬂ ① ½ Ｆｕｌｌｗｉｄｔｈ ｶﾀｶﾅ",
]


def texts(csvs):
    out = []
    for path in csvs:
        with open(path, newline="", encoding="utf-8") as f:
            out.extend(row["text"] for row in csv.DictReader(f))
    return out + EXTRA * 20


def roberta(corpus, out):
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=VOCAB, min_frequency=2,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    with tempfile.TemporaryDirectory() as tmp:
        bpe.save_model(tmp)
        tok = RobertaTokenizerFast(vocab_file=os.path.join(tmp, "vocab.json"),
                                   merges_file=os.path.join(tmp, "merges.txt"))
        tok.save_pretrained(out)


def modernbert(corpus, out):
    # ModernBERT's tokenizer.json: NFC, ByteLevel (no prefix space), BPE, [CLS] $A [SEP].
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True,
                                                use_regex=True)
    t.decoder = decoders.ByteLevel()
    specials = ["|||IP_ADDRESS|||", "<|padding|>", "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    t.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=VOCAB, min_frequency=2, special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    cls, sep = t.token_to_id("[CLS]"), t.token_to_id("[SEP]")
    t.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:0 [SEP]:0",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok = PreTrainedTokenizerFast(tokenizer_object=t, cls_token="[CLS]", sep_token="[SEP]",
                                  pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]",
                                  model_max_length=8192)
    tok.save_pretrained(out)


def spm_model(corpus, tmp, name, **kw):
    path = os.path.join(tmp, "corpus.txt")
    with open(path, "w", encoding="utf-8") as f:
        for line in corpus:
            f.write(line.replace("\n", " ") + "\n")
    prefix = os.path.join(tmp, name)
    spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, vocab_size=VOCAB,
                                   model_type="unigram", minloglevel=2, **kw)
    return prefix + ".model"


def xlm_roberta(corpus, out):
    with tempfile.TemporaryDirectory() as tmp:
        # XLM-R's sentencepiece model: <s>=0 <pad>=1 </s>=2 <unk>=3 as fairseq lays them out.
        model = spm_model(corpus, tmp, "xlmr", pad_id=1, bos_id=0, eos_id=2, unk_id=3)
        XLMRobertaTokenizerFast(vocab_file=model).save_pretrained(out)


def deberta_v2(corpus, out):
    with tempfile.TemporaryDirectory() as tmp:
        model = spm_model(corpus, tmp, "deberta", pad_id=0, bos_id=1, eos_id=2, unk_id=3,
                          user_defined_symbols=["[MASK]"], byte_fallback=True,
                          pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]",
                          unk_piece="[UNK]")
        DebertaV2TokenizerFast(vocab_file=model, do_lower_case=False).save_pretrained(out)


def xlm_roberta_hf(corpus, out):
    t = SentencePieceUnigramTokenizer()
    t.train_from_iterator(corpus, vocab_size=VOCAB,
                          special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                          unk_token="<unk>")
    t.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", t.token_to_id("<s>")), ("</s>", t.token_to_id("</s>"))])
    XLMRobertaTokenizerFast(tokenizer_object=t._tokenizer).save_pretrained(out)


def wordpiece(corpus, out, cls):
    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(corpus, vocab_size=VOCAB, min_frequency=2)
    with tempfile.TemporaryDirectory() as tmp:
        wp.save_model(tmp)
        cls(vocab_file=os.path.join(tmp, "vocab.txt")).save_pretrained(out)


FAMILIES = {
    "roberta": roberta,
    "modernbert": modernbert,
    "xlm-roberta": xlm_roberta,
    "deberta-v2": deberta_v2,
    "xlm-roberta-hf": xlm_roberta_hf,
    "distilbert": lambda c, o: wordpiece(c, o, DistilBertTokenizerFast),
    "electra": lambda c, o: wordpiece(c, o, ElectraTokenizerFast),
}


def main():
    out, csvs = sys.argv[1], sys.argv[2:]
    corpus = texts(csvs)
    for name, make in FAMILIES.items():
        make(corpus, os.path.join(out, name))
    print(json.dumps(sorted(FAMILIES)))


if __name__ == "__main__":
    main()
