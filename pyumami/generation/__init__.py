"""Cross sections and unweighted events from any UMAMI library (the main job).

Modules (each owns one piece of the chain random numbers -> phase space -> cuts
-> PDFs and scales -> UMAMI matrix element -> weight -> histograms/unweighting ->
LHE/npy):

- ``events``: the batch record that flows between the pieces (the contract).
- ``process``: subprocesses (library, PDG ids, FLAVOR_INDEX) and their channels;
  ``topologies``: the diagram channels of the reference libraries.
- ``vegas``: the adaptive VEGAS map; ``multichannel``: channel mappings, SDE weights,
  sampling fractions; ``scales``: scale choices and alpha_s.
- ``integrand``: random numbers -> weighted events in pb; ``unweighting``: maximum weight
  and unweighting; ``generator``: the ``Generator`` a user drives and one-call functions.
- ``madspace_generator``: MadSpace's own generator on the same inputs (a reference).

Outputs and the command line:

- ``observables``: particle selections and batched observables; ``cuts``: text cuts.
- ``streaming``: unweighted events batch by batch; ``lhe``, ``records``: LHE 3.0 and
  npy writers, complete after every batch; ``histograms``: weighted histograms, chi^2,
  plots; ``runcard``: TOML run cards; ``cli``: ``pyumami generate`` / ``integrate``.
"""
