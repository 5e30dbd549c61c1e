// TorchSharp's default random generator (manual_seed, module initialisation) is process-wide: test classes running in
// parallel would draw from it between another test's manual_seed and its module construction, so the seeded-determinism
// tests (same seed, same model) could see different weights. The Torch tests therefore run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
