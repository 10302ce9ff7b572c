"""Cross sections and unweighted events from any UMAMI library (the main job).

Modules (each owns one piece of the chain random numbers -> phase space -> cuts
-> PDFs and scales -> UMAMI matrix element -> weight -> histograms/unweighting ->
LHE/npy):

- ``events``: the batch record that flows between the pieces (the contract).
"""
