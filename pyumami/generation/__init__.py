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
"""
