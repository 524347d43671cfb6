"""Writes the two models the GPU check runs, with random weights (nothing is downloaded):

- resnet50.onnx: torchvision ResNet-50 without its classifier, input `pixels` [b, 3, 224, 224] -> output `embedding`
  [b, 2048]; an image-encoder-sized convolutional network (cuDNN convolutions on the GPU).
- minilm.onnx + vocab.txt: a BERT encoder with all-MiniLM-L6-v2's shape (6 layers, hidden 384, 12 heads, intermediate
  1536), inputs input_ids / attention_mask / token_type_ids [b, s] -> `last_hidden_state` [b, s, 384], and a WordPiece
  vocabulary of 4000 made-up lower-case words, so the server's own tokenizer and masked pooling run end to end.

Usage: python3 make_models.py OUT_DIR  (needs torch, torchvision and transformers; the GPU machine's image has them)
"""
import os
import random
import sys

import torch


def export(model, args, path, input_names, output_names, dynamic_axes):
    model.eval()
    try:
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17, dynamo=False)
    except Exception as error:  # the TorchScript exporter may be gone in newer torch: use the dynamo one
        print(f"TorchScript export failed ({error}); trying the dynamo exporter", flush=True)
        batch = torch.export.Dim("batch", min=1, max=1024)
        shapes = {name: {axis: (batch if axis == 0 else torch.export.Dim(f"{name}_{axis}", min=1, max=512))
                         for axis in axes} for name, axes in dynamic_axes.items() if name in input_names}
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_shapes=shapes, opset_version=18, dynamo=True, external_data=False)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    import torchvision
    resnet = torchvision.models.resnet50(weights=None)
    resnet.fc = torch.nn.Identity()
    export(resnet, (torch.randn(2, 3, 224, 224),), os.path.join(out, "resnet50.onnx"), ["pixels"], ["embedding"],
           {"pixels": {0: "batch"}, "embedding": {0: "batch"}})

    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(4200)})[:4000]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")

    from transformers import BertConfig, BertModel
    config = BertConfig(vocab_size=len(vocab), hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512)

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = BertModel(config)

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    ids = torch.randint(5, len(vocab), (2, 16))
    export(LastHiddenState(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), os.path.join(out, "minilm.onnx"),
           ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"],
           {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}})
    print("models written to", out, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
