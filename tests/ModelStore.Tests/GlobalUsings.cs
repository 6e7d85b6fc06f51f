global using System.Text;
global using Platform.ModelStore.Datasets;
