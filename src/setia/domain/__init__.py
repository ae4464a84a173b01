"""The loyalty domain: plain Python, standard library only."""
