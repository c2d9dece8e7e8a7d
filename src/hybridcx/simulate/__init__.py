"""`hybridcx simulate`: a day (or more) of synthetic contacts through the real engine, in
virtual time, with simulated agents working the real queue strategy."""
