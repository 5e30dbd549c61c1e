using System.Collections.Immutable;

namespace Interactive.Xai.MLNet;

/// <summary>One input column of an ML.NET pipeline and where its values sit in a feature row.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Offset">The index of its first value in a feature row.</param>
/// <param name="Width">1 for a scalar column, the vector size for a vector column.</param>
/// <param name="IsVector">Whether the column is a vector column (even of size 1).</param>
/// <param name="IsDouble">Whether the column holds Double rather than Single values.</param>
/// <param name="Names">One feature name per value.</param>
internal sealed record FeatureColumn(string Name, int Offset, int Width, bool IsVector, bool IsDouble, ImmutableArray<string> Names);
