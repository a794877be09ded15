print("somacue")
