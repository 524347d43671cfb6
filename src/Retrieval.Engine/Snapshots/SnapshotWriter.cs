using System.Runtime.InteropServices;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Snapshots;

/// <summary>Writes a <see cref="ShardImage"/> atomically: temporary file, fsync, rename over the old snapshot.</summary>
internal static class SnapshotWriter
{
    /// <summary>
    /// Writes the snapshot next to <paramref name="path"/> and renames it over the old one only once it is complete and
    /// on disk, so a failure (a full disk) leaves the previous snapshot as it was; the partial file is removed, since it
    /// would go on holding the space a full disk lacks.
    /// </summary>
    public static long Write(ShardImage image, string path)
    {
        var temporary = path + ".tmp";
        long bytes;
        try
        {
            using var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            using (var hashing = new HashingStream(file))
            using (var writer = new BinaryWriter(hashing, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                WriteBody(writer, image);
                writer.Flush();
                file.Write(hashing.Hash());
            }

            file.Write(SnapshotFormat.EndMagic);
            file.Flush(flushToDisk: true);
            bytes = file.Length;
        }
        catch (Exception) when (File.Exists(temporary))
        {
            // Removing a file needs no space, so this succeeds on a full disk; the original failure is what is reported.
            File.Delete(temporary);
            throw;
        }

        File.Move(temporary, path, overwrite: true);
        return bytes;
    }

    private static void WriteBody(BinaryWriter writer, ShardImage image)
    {
        writer.Write(SnapshotFormat.Magic);
        writer.Write(SnapshotFormat.Version);
        writer.Write(image.Sequence);
        writer.Write(image.ShardNumber);
        writer.Write(image.Definition.Shards);
        writer.Write(SnapshotFormat.Microseconds(image.Definition.CreatedAt));
        writer.Write(CollectionDefinitionJson.Serialize(image.Definition));
        writer.Write(image.Ids.Length);
        for (var i = 0; i < image.Ids.Length; i++)
        {
            writer.Write(image.Ids[i]);
            writer.Write(image.Payloads[i]);
        }

        writer.Write(image.Spaces.Length);
        foreach (var space in image.Spaces)
        {
            WriteSpace(writer, space);
        }

        writer.Write(image.MultiSpaces.Length);
        foreach (var multi in image.MultiSpaces)
        {
            WriteSpace(writer, multi.Fdes);
            WriteInts(writer, multi.Items);
            WriteInts(writer, multi.TokensReceived);
            WriteInts(writer, [.. multi.Kept.Select(k => k.Count)]);
            foreach (var kept in multi.Kept)
            {
                kept.WriteTo(writer);
            }

            // Since version 4: the PQ codebooks (trained, empty index) of a space that keeps its FDEs as codes; 0 = none.
            writer.Write(multi.FdeCodesState?.Length ?? 0);
            writer.Write(multi.FdeCodesState ?? []);
            // Since version 4: the token index (trained, empty) of a space whose first stage is the token index; 0 = none.
            writer.Write(multi.TokenIndexState?.Length ?? 0);
            writer.Write(multi.TokenIndexState ?? []);
        }
    }

    private static void WriteSpace(BinaryWriter writer, SpaceImage space)
    {
        writer.Write(space.Name);
        writer.Write(space.Dimension);
        writer.Write(space.NextSegmentId);
        WriteInts(writer, space.AppendableItems);
        WriteFloats(writer, space.AppendableData);
        writer.Write(space.Sealed.Length);
        foreach (var segment in space.Sealed)
        {
            writer.Write(segment.Id);
            WriteInts(writer, segment.Items);
            WriteFloats(writer, segment.Storage.RawData.AsSpan(0, segment.Storage.Count * space.Dimension));
            writer.Write(segment.LiveWords.Length);
            writer.Write(MemoryMarshal.AsBytes(segment.LiveWords.AsSpan()));
            writer.Write(segment.BuiltFor?.ToString() ?? "");
            writer.Write(segment.Index?.Spec.ToString() ?? "");
            var index = segment.Index?.Serialize() ?? [];
            writer.Write(index.Length);
            writer.Write(index);
        }
    }

    private static void WriteInts(BinaryWriter writer, int[] values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }
}
